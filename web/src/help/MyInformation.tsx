import { useEffect, useMemo, useRef, useState, type ChangeEvent, type FormEvent } from "react";
import { ApiError, client, fieldSentence, ok } from "../api.ts";
import { ErrorText, Field, StatusText } from "../components/Field.tsx";
import type { PersonalData } from "../api-schema.ts";
import { Loadable, useApi } from "../data.tsx";
import { formatDate, LOCALES, t } from "../i18n/index.ts";
import { PasskeysSection } from "../components/Passkeys.tsx";
import { needsSignInAgain, SignInAgain } from "../components/SignInAgain.tsx";
import { Link, PageHeading } from "../router.tsx";
import { explainHc } from "./help-api.ts";
import { StatusBadge } from "./StatusBadge.tsx";

/**
 * `/my-information`: the right of access. Everything comes from one server call
 * (GET /api/v2/help_center/me/personal_data), so the page shows what is stored, not what it guesses.
 */
export function MyInformation() {
  const state = useApi(["personal_data"], async (signal) => (await ok(client.GET("/api/v2/help_center/me/personal_data", { signal }))).personal_data);
  const data = state.data;
  if (!data)
    return (
      <main id="main" className="page">
        <Loadable state={state} loadingText={t("hc.loading")} explain={explainHc}>
          {() => null}
        </Loadable>
      </main>
    );
  const none = t("hc.info.none");
  const when = (iso: string | null) => (iso ? formatDate(iso) : none);
  const ip = (v: string | null) => v ?? t("hc.info.unknownIp");
  const p = data.profile;
  return (
    <main id="main" className="page">
      <PageHeading>{t("hc.info.title")}</PageHeading>
      <p>{t("hc.info.intro")}</p>
      <p>
        <button type="button" className="secondary" onClick={() => downloadCopy(data)}>
          {t("hc.info.download")}
        </button>
      </p>

      <section aria-labelledby="pd-profile">
        <h2 id="pd-profile">{t("hc.info.profile")}</h2>
        <dl className="facts">
          <dt>{t("hc.info.name")}</dt>
          <dd>{p.name}</dd>
          <dt>{t("hc.info.email")}</dt>
          <dd>{p.email ?? none}</dd>
          <dt>{t("hc.info.phone")}</dt>
          <dd>{p.phone ?? none}</dd>
          <dt>{t("hc.info.organization")}</dt>
          <dd>{p.organization?.name ?? none}</dd>
          <dt>{t("hc.info.locale")}</dt>
          <dd>{LOCALES.find((l) => l.code === p.locale)?.name ?? p.locale ?? none}</dd>
          <dt>{t("hc.info.timeZone")}</dt>
          <dd>{p.time_zone?.replace(/_/g, " ") ?? none}</dd>
          <dt>{t("hc.info.created")}</dt>
          <dd>{when(p.created_at)}</dd>
          <dt>{t("hc.info.lastSignIn")}</dt>
          <dd>{when(p.last_sign_in_at)}</dd>
        </dl>
      </section>

      <EditProfile profile={p} onSaved={state.reload} />

      <FullExport />

      <ChangeEmail userId={p.id} pending={p.pending_email} onChanged={state.reload} />

      <section aria-labelledby="pd-identities">
        <h2 id="pd-identities">{t("hc.info.identities")}</h2>
        <ul>
          {data.identities.map((i) => (
            <li key={`${i.type}:${i.value}`}>{t("hc.info.identityEmail", { value: i.value })}</li>
          ))}
        </ul>
      </section>

      <section aria-labelledby="pd-requests">
        <h2 id="pd-requests">{t("hc.info.requests")}</h2>
        {data.requests.length === 0 ? <p>{none}</p> : null}
        <ul>
          {data.requests.map((r) => (
            <li key={r.id}>
              <Link to={`/requests/${r.id}`}>
                #{r.id} {r.subject}
              </Link>{" "}
              <StatusBadge status={r.status} /> <time dateTime={r.created_at}>{formatDate(r.created_at)}</time>
            </li>
          ))}
        </ul>
      </section>

      <section aria-labelledby="pd-comments">
        <h2 id="pd-comments">{t("hc.info.comments")}</h2>
        {data.comments.length === 0 ? <p>{none}</p> : null}
        <ul className="pd-comments">
          {data.comments.map((c) => (
            <li key={c.id}>
              <p className="meta">{t("hc.info.commentOn", { id: c.request_id, when: formatDate(c.created_at) })}</p>
              <div className="body">{c.body}</div>
            </li>
          ))}
        </ul>
      </section>

      <section aria-labelledby="pd-consents">
        <h2 id="pd-consents">{t("hc.info.consents")}</h2>
        {data.consent_records.length === 0 ? <p>{none}</p> : null}
        <ul className="pd-consents">
          {data.consent_records.map((c) => (
            <li key={c.id}>
              <p>{t("hc.info.consentLine", { id: c.request_id ?? "—", version: c.text_version, when: formatDate(c.accepted_at), ip: ip(c.ip) })}</p>
              <blockquote className="consent-text" lang={c.text_locale ?? undefined}>
                {c.text}
              </blockquote>
              <p className="help hash">{t("hc.info.consentHash", { hash: c.text_sha256 })}</p>
              {c.withdrawn_at ? <p className="notice">{t("hc.info.withdrawn", { when: formatDate(c.withdrawn_at) })}</p> : <WithdrawConsent id={c.id} onWithdrawn={state.reload} />}
            </li>
          ))}
        </ul>
        {data.consent_withdrawals.length ? (
          <>
            <h3>{t("hc.info.withdrawals")}</h3>
            <ul className="pd-withdrawals">
              {data.consent_withdrawals.map((w) => (
                <li key={w.id}>{t("hc.info.withdrawalLine", { id: w.consent_record_id, when: formatDate(w.withdrawn_at), via: w.via === "staff" ? t("hc.info.viaStaff") : t("hc.info.viaHelpCenter") })}</li>
              ))}
            </ul>
          </>
        ) : null}
      </section>

      <DataRequest />

      <PasskeysSection explainError={explainHc} />

      <section aria-labelledby="pd-sessions">
        <h2 id="pd-sessions">{t("hc.info.sessions")}</h2>
        <ul>
          {data.sessions.map((s) => (
            <li key={s.started_at}>
              {s.browser || s.os ? t("hc.info.sessionDevice", { browser: s.browser ?? "?", os: s.os ?? "?" }) : t("hc.info.unknownDevice")}
              {": "}
              {t("hc.info.sessionLine", { start: formatDate(s.started_at), last: formatDate(s.last_seen_at), ip: ip(s.ip) })}
              {s.ended_at ? ` (${t("hc.info.sessionEnded", { when: formatDate(s.ended_at) })})` : ""}
            </li>
          ))}
        </ul>
      </section>

      <section aria-labelledby="pd-links">
        <h2 id="pd-links">{t("hc.info.links")}</h2>
        {data.sign_in_links.length === 0 ? <p>{none}</p> : null}
        <ul>
          {data.sign_in_links.map((l) => (
            <li key={l.created_at}>
              {t("hc.info.linkLine", { created: formatDate(l.created_at), state: l.used_at ? t("hc.info.linkUsed", { when: formatDate(l.used_at) }) : t("hc.info.linkUnused") })}
              {l.created_by_staff ? ` (${t("hc.info.linkByStaff")})` : ""}
            </li>
          ))}
        </ul>
      </section>
    </main>
  );
}

/** Saves exactly what the server sent as a JSON file (data portability), without another request. */
function downloadCopy(data: PersonalData): void {
  const url = URL.createObjectURL(new Blob([JSON.stringify(data, null, 2)], { type: "application/json" }));
  const a = document.createElement("a");
  a.href = url;
  a.download = `my-information-${new Date().toISOString().slice(0, 10)}.json`;
  document.body.append(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(url), 10_000);
}

/** The fields a person corrects here (GDPR art. 16); the server's OWN_PROFILE_FIELDS allow them. */
type ProfileDraft = { name: string; phone: string; time_zone: string; locale: string };
const DRAFT_FIELDS = ["name", "phone", "time_zone", "locale"] as const;
const FIELD_ID: Record<keyof ProfileDraft, string> = { name: "hc-edit-name", phone: "hc-edit-phone", time_zone: "hc-edit-time-zone", locale: "hc-edit-locale" };

/** The browser's IANA time zones when it can list them (Intl.supportedValuesOf), else none: the field is then typed. */
function timeZoneList(): readonly string[] {
  try {
    return typeof Intl.supportedValuesOf === "function" ? Intl.supportedValuesOf("timeZone") : [];
  } catch {
    return [];
  }
}

/**
 * Rectification: the person corrects their name, phone, time zone and language
 * (PUT /api/v2/users/{id}; the server checks each value, records the change in the audit trail,
 * and answers 422 with a message per field, shown under that field). Only what changed is sent.
 */
function EditProfile(props: { profile: PersonalData["profile"]; onSaved: () => Promise<void> }) {
  const p = props.profile;
  const initial: ProfileDraft = { name: p.name, phone: p.phone ?? "", time_zone: p.time_zone ?? "", locale: p.locale ?? "" };
  const [open, setOpen] = useState(false);
  const [draft, setDraft] = useState<ProfileDraft>(initial);
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const [fieldErrors, setFieldErrors] = useState<Partial<Record<keyof ProfileDraft, string>>>({});
  const [saved, setSaved] = useState<string | null>(null);
  const editButton = useRef<HTMLButtonElement>(null);
  const firstField = useRef<HTMLInputElement>(null);
  const zones = useMemo(() => {
    const list = timeZoneList();
    return list.length === 0 ? list : [...new Set([...(initial.time_zone ? [initial.time_zone] : []), "UTC", ...list])].sort();
  }, [initial.time_zone]);
  const languages = LOCALES.some((l) => l.code === initial.locale) || !initial.locale ? LOCALES : [...LOCALES, { code: initial.locale, name: initial.locale }];

  useEffect(() => {
    if (open) firstField.current?.focus();
  }, [open]);

  function start() {
    setDraft(initial);
    setError(null);
    setFieldErrors({});
    setSaved(null);
    setOpen(true);
  }
  function close() {
    setOpen(false);
    // Back where the person was: the button that opened the form.
    setTimeout(() => editButton.current?.focus(), 0);
  }
  const set = (field: keyof ProfileDraft) => (e: ChangeEvent<HTMLInputElement | HTMLSelectElement>) => setDraft({ ...draft, [field]: e.target.value });

  async function submit(e: FormEvent) {
    e.preventDefault();
    const user: { name?: string; phone?: string | null; time_zone?: string | null; locale?: string | null } = {};
    if (draft.name !== initial.name) user.name = draft.name;
    if (draft.phone !== initial.phone) user.phone = draft.phone.trim() ? draft.phone : null;
    if (draft.time_zone !== initial.time_zone) user.time_zone = draft.time_zone || null;
    if (draft.locale !== initial.locale) user.locale = draft.locale || null;
    if (Object.keys(user).length === 0) return close();
    setBusy(true);
    setError(null);
    setFieldErrors({});
    setSaved(null);
    try {
      await ok(client.PUT("/api/v2/users/{id}", { params: { path: { id: p.id } }, body: { user } }));
      await props.onSaved();
      setSaved(t("hc.info.saved"));
      close();
    } catch (err) {
      // The server's message for each refused field goes under that field; anything else above the buttons.
      const details = err instanceof ApiError ? (err.body?.details ?? {}) : {};
      const byField: Partial<Record<keyof ProfileDraft, string>> = {};
      const rest: string[] = [];
      for (const [key, list] of Object.entries(details)) {
        const field = DRAFT_FIELDS.find((f) => key === `user.${f}` || key === f);
        const text = list.map((d) => fieldSentence(key, d.description ?? "")).filter(Boolean).join(" ");
        if (field && text) byField[field] = text;
        else if (text) rest.push(text);
      }
      setFieldErrors(byField);
      setError(rest.length ? rest.join(" ") : Object.keys(byField).length ? null : explainHc(err));
      // To the first refused field, which reads its message with it (the Save button was disabled meanwhile and lost the focus).
      const first = DRAFT_FIELDS.find((f) => byField[f]);
      if (first) setTimeout(() => document.getElementById(FIELD_ID[first])?.focus(), 0);
    } finally {
      setBusy(false);
    }
  }

  return (
    <section aria-labelledby="pd-edit">
      <h2 id="pd-edit">{t("hc.info.editTitle")}</h2>
      <p>{t("hc.info.editIntro")}</p>
      <StatusText text={saved} />
      {!open ? (
        <p>
          <button type="button" className="secondary" ref={editButton} onClick={start}>
            {t("hc.info.edit")}
          </button>
        </p>
      ) : (
        <form onSubmit={submit} aria-busy={busy} noValidate onKeyDown={(e) => e.key === "Escape" && !busy && close()}>
          <Field id={FIELD_ID.name} label={t("hc.info.name")} help={t("hc.info.nameHelp")} error={fieldErrors.name}>
            <input ref={firstField} value={draft.name} onChange={set("name")} required aria-required="true" autoComplete="name" />
          </Field>
          <Field id={FIELD_ID.phone} label={t("hc.info.phone")} help={t("hc.info.phoneHelp")} error={fieldErrors.phone}>
            <input type="tel" value={draft.phone} onChange={set("phone")} autoComplete="tel" />
          </Field>
          <Field id={FIELD_ID.time_zone} label={t("hc.info.timeZone")} help={zones.length ? undefined : t("hc.info.timeZoneHelp")} error={fieldErrors.time_zone}>
            {zones.length ? (
              <select value={draft.time_zone} onChange={set("time_zone")}>
                <option value="">{t("hc.info.notSet")}</option>
                {zones.map((z) => (
                  <option key={z} value={z}>
                    {z.replace(/_/g, " ")}
                  </option>
                ))}
              </select>
            ) : (
              <input value={draft.time_zone} onChange={set("time_zone")} />
            )}
          </Field>
          <Field id={FIELD_ID.locale} label={t("hc.info.locale")} help={t("hc.info.localeHelp")} error={fieldErrors.locale}>
            <select value={draft.locale} onChange={set("locale")}>
              <option value="">{t("hc.info.notSet")}</option>
              {languages.map((l) => (
                <option key={l.code} value={l.code} lang={l.code}>
                  {l.name}
                </option>
              ))}
            </select>
          </Field>
          <ErrorText text={error} />
          <p className="actions">
            <button type="submit" disabled={busy}>
              {t("hc.info.save")}
            </button>{" "}
            <button type="button" className="secondary" disabled={busy} onClick={close}>
              {t("hc.info.cancel")}
            </button>
          </p>
        </form>
      )}
    </section>
  );
}

/**
 * Changing one's own address: the server mails a link to the new address and changes nothing
 * until it is used (and tells the old address). The pending address is shown until then.
 */
/**
 * The full export (POST /api/v2/users/me/data_exports): a ZIP built in the background; the page
 * follows it and offers its single-use link once ready (docs/privacy.md, Export schema v1).
 */
function FullExport() {
  const [status, setStatus] = useState<string | null>(null);
  const [link, setLink] = useState<string | null>(null);
  const [error, setError] = useState<string | null>(null);
  async function follow(id: number) {
    for (;;) {
      const e = (await ok(client.GET("/api/v2/data_exports/{id}", { params: { path: { id } } }))).data_export;
      setStatus(e.status);
      if (e.status !== "queued" && e.status !== "working") {
        setLink(e.download_url);
        return;
      }
      await new Promise((r) => setTimeout(r, 2000));
    }
  }
  async function start() {
    setError(null);
    setLink(null);
    setStatus("queued");
    try {
      const e = (await ok(client.POST("/api/v2/users/me/data_exports"))).data_export;
      await follow(e.id);
    } catch (err) {
      setStatus(null);
      setError(explainHc(err));
    }
  }
  const busy = status === "queued" || status === "working";
  return (
    <section aria-labelledby="pd-export">
      <h2 id="pd-export">{t("hc.info.export")}</h2>
      <p>{t("hc.info.exportIntro")}</p>
      <StatusText text={busy ? t("hc.info.exportWorking") : status === "failed" ? t("hc.info.exportFailed") : status === "downloaded" || status === "expired" ? t("hc.info.exportGone") : null} />
      <ErrorText text={error} />
      {link ? (
        <p>
          <a href={link} download onClick={() => setTimeout(() => { setLink(null); setStatus("downloaded"); }, 0)}>
            {t("hc.info.exportReady")}
          </a>
        </p>
      ) : (
        <p>
          <button type="button" className="secondary" disabled={busy} onClick={() => void start()}>
            {t("hc.info.exportRequest")}
          </button>
        </p>
      )}
    </section>
  );
}

function ChangeEmail(props: { userId: number; pending: string | null; onChanged: () => Promise<void> }) {
  const [email, setEmail] = useState("");
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const [sent, setSent] = useState<string | null>(null);
  const [signInAgain, setSignInAgain] = useState(false);
  async function submit(e: FormEvent) {
    e.preventDefault();
    setBusy(true);
    setError(null);
    setSignInAgain(false);
    setSent(null);
    try {
      await ok(client.PUT("/api/v2/users/{id}", { params: { path: { id: props.userId } }, body: { user: { email } } }));
      setSent(t("hc.info.changeEmailSent", { email }));
      setEmail("");
      await props.onChanged();
    } catch (err) {
      if (needsSignInAgain(err)) setSignInAgain(true);
      else setError(explainHc(err));
    } finally {
      setBusy(false);
    }
  }
  return (
    <section aria-labelledby="pd-change-email">
      <h2 id="pd-change-email">{t("hc.info.changeEmail")}</h2>
      <p>{t("hc.info.changeEmailIntro")}</p>
      {props.pending ? <p className="notice">{t("hc.info.pendingEmail", { email: props.pending })}</p> : null}
      <StatusText text={sent} />
      <form onSubmit={submit} aria-busy={busy} className="inline-form">
        <Field id="hc-new-email" label={t("hc.info.newEmail")}>
          <input type="email" value={email} onChange={(e) => setEmail(e.target.value)} required maxLength={254} autoComplete="email" />
        </Field>
        <ErrorText text={error} />
        {signInAgain ? <SignInAgain /> : null}
        <button type="submit" className="secondary" disabled={busy}>
          {t("hc.info.changeEmailSubmit")}
        </button>
      </form>
    </section>
  );
}

/**
 * Withdrawing one consent, in two steps (the page asks before it records what cannot be undone):
 * the server records the withdrawal and keeps the consent as evidence.
 */
function WithdrawConsent(props: { id: number; onWithdrawn: () => Promise<void> }) {
  const [asking, setAsking] = useState(false);
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);
  async function withdraw() {
    setBusy(true);
    setError(null);
    try {
      await ok(client.POST("/api/v2/users/me/consents/{id}/withdraw", { params: { path: { id: props.id } } }));
      setAsking(false);
      await props.onWithdrawn();
    } catch (err) {
      setError(explainHc(err));
    } finally {
      setBusy(false);
    }
  }
  if (!asking)
    return (
      <p>
        <button type="button" className="secondary" onClick={() => setAsking(true)}>
          {t("hc.info.withdraw")}
        </button>
      </p>
    );
  return (
    <div className="notice" role="group" aria-label={t("hc.info.withdraw")}>
      <p>{t("hc.info.withdrawConfirm")}</p>
      <p className="actions">
        <button type="button" disabled={busy} onClick={() => void withdraw()}>
          {t("hc.info.withdrawYes")}
        </button>{" "}
        <button type="button" className="secondary" disabled={busy} onClick={() => setAsking(false)}>
          {t("hc.info.withdrawNo")}
        </button>
      </p>
      <ErrorText text={error} />
    </div>
  );
}

const DSR_KINDS = ["access", "portability", "rectification", "erasure", "restriction", "objection"] as const;
type DsrKind = (typeof DSR_KINDS)[number];

/**
 * A request about one's own data (GDPR/CCPA): the type and an optional note. Being signed in is
 * the verification; staff answer it from the admin center. The person's own requests are listed.
 */
function DataRequest() {
  const mine = useApi(["own_data_subject_requests"], async (signal) => (await ok(client.GET("/api/v2/users/me/data_subject_requests", { signal }))).data_subject_requests);
  const [kind, setKind] = useState<DsrKind>("access");
  const [note, setNote] = useState("");
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const [sent, setSent] = useState<string | null>(null);
  async function submit(e: FormEvent) {
    e.preventDefault();
    setBusy(true);
    setError(null);
    setSent(null);
    try {
      const r = (await ok(client.POST("/api/v2/users/me/data_subject_requests", { body: { data_subject_request: { type: kind, ...(note.trim() ? { note } : {}) } } }))).data_subject_request;
      setSent(t("hc.dsr.sent", { id: r.id, due: formatDate(r.due_at) }));
      setNote("");
      await mine.reload();
    } catch (err) {
      setError(explainHc(err));
    } finally {
      setBusy(false);
    }
  }
  return (
    <section aria-labelledby="pd-dsr">
      <h2 id="pd-dsr">{t("hc.dsr.title")}</h2>
      <p>{t("hc.dsr.intro")}</p>
      <StatusText text={sent} />
      <form onSubmit={submit} aria-busy={busy}>
        <Field id="hc-dsr-type" label={t("hc.dsr.type")}>
          <select value={kind} onChange={(e) => setKind(DSR_KINDS.find((k) => k === e.target.value) ?? kind)}>
            {DSR_KINDS.map((k) => (
              <option key={k} value={k}>
                {t(`hc.dsr.type.${k}`)}
              </option>
            ))}
          </select>
        </Field>
        <Field id="hc-dsr-note" label={t("hc.dsr.note")}>
          <textarea rows={3} maxLength={5000} value={note} onChange={(e) => setNote(e.target.value)} />
        </Field>
        <ErrorText text={error} />
        <button type="submit" className="secondary" disabled={busy}>
          {t("hc.dsr.submit")}
        </button>
      </form>
      {mine.data && mine.data.length > 0 ? (
        <>
          <h3>{t("hc.dsr.mine")}</h3>
          <ul>
            {mine.data.map((r) => (
              <li key={r.id}>{t("hc.dsr.line", { id: r.id, type: t(`hc.dsr.type.${r.type}`), created: formatDate(r.created_at), due: formatDate(r.due_at), status: t(`hc.dsr.status.${r.status}`) })}</li>
            ))}
          </ul>
        </>
      ) : null}
    </section>
  );
}
