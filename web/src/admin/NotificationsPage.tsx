import { useState, type FormEvent } from "react";
import { client, explain, ok } from "../api.ts";
import type { NotificationSettings, NotificationTemplate, UndeliveredMail } from "../api-schema.ts";
import { ErrorText, Field, StatusText } from "../components/Field.tsx";
import { useFailure } from "../components/SignInAgain.tsx";
import { Loadable, useApi, useInvalidate, useSetData } from "../data.tsx";
import { formatDate, t, type MessageKey } from "../i18n/index.ts";
import { PageHeading } from "../router.tsx";

const SETTINGS = ["notification-settings"];
const TEMPLATES = ["notification-templates"];
const UNDELIVERED = ["undelivered-mail"];

const EVENTS = ["request_received", "public_reply", "solved", "end_user_update", "cc_update"] as const;
type EventName = (typeof EVENTS)[number];
const LOCALES = ["en", "sv", "ja", "ko", "zh-CN"] as const;
type Locale = (typeof LOCALES)[number];
const LOCALE_NAMES: Record<Locale, string> = { en: "English", sv: "Svenska", ja: "日本語", ko: "한국어", "zh-CN": "简体中文" };
const eventLabel = (e: EventName): MessageKey => `admin.notify.event.${e}`;

/**
 * `/admin/notifications`: which e-mail notifications this helpdesk sends and whether they carry
 * the text (content-free), the text of each notification in each language, and the messages the
 * mail server never took (to send again or drop).
 */
export function NotificationsPage() {
  const settings = useApi(SETTINGS, async (signal) => (await ok(client.GET("/api/v2/notification_settings", { signal }))).settings);
  const templates = useApi(TEMPLATES, async (signal) => await ok(client.GET("/api/v2/notification_templates", { signal })));
  const undelivered = useApi(UNDELIVERED, async (signal) => (await ok(client.GET("/api/v2/undelivered_mail", { signal }))).undelivered_mail);
  return (
    <main id="main" className="main">
      <PageHeading>{t("admin.notify.title")}</PageHeading>
      <Loadable state={settings}>{(s) => <SettingsForm settings={s} />}</Loadable>
      <Loadable state={templates}>{(list) => <TemplateEditor templates={list.notification_templates} placeholders={list.placeholders} />}</Loadable>
      <Loadable state={undelivered}>{(list) => <Undelivered mail={list} />}</Loadable>
    </main>
  );
}

function SettingsForm(props: { settings: NotificationSettings }) {
  const setData = useSetData();
  const [value, setValue] = useState(props.settings);
  const failure = useFailure();
  const [status, setStatus] = useState<string | null>(null);

  async function submit(e: FormEvent) {
    e.preventDefault();
    failure.clear();
    setStatus(null);
    try {
      const r = await ok(client.PUT("/api/v2/notification_settings", { body: { settings: value } }));
      setData(SETTINGS, r.settings);
      setStatus(t("admin.saved"));
    } catch (err) {
      failure.fail(err);
    }
  }

  return (
    <form className="form" onSubmit={submit} aria-labelledby="notify-which">
      <h2 id="notify-which">{t("admin.notify.which")}</h2>
      {EVENTS.map((e) => (
        <label className="check" key={e}>
          <input type="checkbox" checked={value[e]} onChange={(ev) => setValue({ ...value, [e]: ev.target.checked })} /> {t(eventLabel(e))}
        </label>
      ))}
      <label className="check">
        <input type="checkbox" checked={value.content_free} onChange={(ev) => setValue({ ...value, content_free: ev.target.checked })} /> {t("admin.notify.contentFree")}
      </label>
      <p className="muted">{t("admin.notify.contentFreeHelp")}</p>
      {failure.notice}
      <StatusText text={status} />
      <button type="submit">{t("admin.save")}</button>
    </form>
  );
}

function TemplateEditor(props: { templates: NotificationTemplate[]; placeholders: string[] }) {
  const [event, setEvent] = useState<EventName>("public_reply");
  const [locale, setLocale] = useState<Locale>("en");
  const current = props.templates.find((x) => x.event === event && x.locale === locale);
  return (
    <section aria-labelledby="notify-texts">
      <h2 id="notify-texts">{t("admin.notify.texts")}</h2>
      <div className="row">
        <Field id="notify-event" label={t("admin.notify.event")}>
          <select value={event} onChange={(e) => setEvent(e.target.value as EventName)}>
            {EVENTS.map((e) => (
              <option key={e} value={e}>
                {t(eventLabel(e))}
              </option>
            ))}
          </select>
        </Field>
        <Field id="notify-locale" label={t("admin.notify.language")}>
          <select value={locale} onChange={(e) => setLocale(e.target.value as Locale)}>
            {LOCALES.map((l) => (
              <option key={l} value={l}>
                {LOCALE_NAMES[l]}
              </option>
            ))}
          </select>
        </Field>
      </div>
      {current ? <TemplateForm key={`${event}:${locale}:${current.updated_at ?? "built-in"}`} template={current} placeholders={props.placeholders} /> : null}
    </section>
  );
}

function TemplateForm(props: { template: NotificationTemplate; placeholders: string[] }) {
  const invalidate = useInvalidate();
  const tpl = props.template;
  const [subject, setSubject] = useState(tpl.subject);
  const [body, setBody] = useState(tpl.body);
  const [error, setError] = useState<string | null>(null);
  const [status, setStatus] = useState<string | null>(null);
  const path = { params: { path: { event: tpl.event, locale: tpl.locale } } };

  async function save(e: FormEvent) {
    e.preventDefault();
    setError(null);
    setStatus(null);
    try {
      await ok(client.PUT("/api/v2/notification_templates/{event}/{locale}", { ...path, body: { notification_template: { subject, body } } }));
      await invalidate(TEMPLATES);
      setStatus(t("admin.saved"));
    } catch (err) {
      setError(explain(err));
    }
  }

  async function reset() {
    setError(null);
    setStatus(null);
    try {
      await ok(client.DELETE("/api/v2/notification_templates/{event}/{locale}", path));
      await invalidate(TEMPLATES);
    } catch (err) {
      setError(explain(err));
    }
  }

  return (
    <form className="form" onSubmit={save}>
      <p className="muted">{tpl.customized ? t("admin.notify.customized") : t("admin.notify.builtIn")}</p>
      <Field id="notify-subject" label={t("admin.notify.subject")}>
        <input value={subject} onChange={(e) => setSubject(e.target.value)} maxLength={250} required />
      </Field>
      <Field id="notify-body" label={t("admin.notify.body")} help={t("admin.notify.placeholders", { list: props.placeholders.map((p) => `{{${p}}}`).join(" ") })}>
        <textarea value={body} onChange={(e) => setBody(e.target.value)} rows={10} required />
      </Field>
      <ErrorText text={error} />
      <StatusText text={status} />
      <div className="row">
        <button type="submit">{t("admin.notify.saveText")}</button>
        {tpl.customized ? (
          <button type="button" className="secondary" onClick={() => void reset()}>
            {t("admin.notify.useBuiltIn")}
          </button>
        ) : null}
      </div>
    </form>
  );
}

function Undelivered(props: { mail: UndeliveredMail[] }) {
  const invalidate = useInvalidate();
  const [error, setError] = useState<string | null>(null);
  const [status, setStatus] = useState<string | null>(null);

  async function act(id: string, how: "resend" | "delete") {
    setError(null);
    setStatus(null);
    try {
      if (how === "resend") await ok(client.POST("/api/v2/undelivered_mail/{id}/resend", { params: { path: { id } } }));
      else await ok(client.DELETE("/api/v2/undelivered_mail/{id}", { params: { path: { id } } }));
      await invalidate(UNDELIVERED);
      setStatus(how === "resend" ? t("admin.notify.resent") : t("admin.notify.dropped"));
    } catch (err) {
      setError(explain(err));
    }
  }

  return (
    <section aria-labelledby="notify-undelivered">
      <h2 id="notify-undelivered">{t("admin.notify.undelivered")}</h2>
      <p className="muted">{t("admin.notify.undeliveredIntro")}</p>
      <ErrorText text={error} />
      <StatusText text={status} />
      {props.mail.length === 0 ? <p className="empty">{t("admin.notify.noneUndelivered")}</p> : null}
      {props.mail.length > 0 ? (
        <table className="admin">
          <caption className="sr-only">{t("admin.notify.undelivered")}</caption>
          <thead>
            <tr>
              <th scope="col">{t("admin.notify.to")}</th>
              <th scope="col">{t("admin.notify.subject")}</th>
              <th scope="col">{t("admin.notify.failedAt")}</th>
              <th scope="col">{t("admin.notify.actions")}</th>
            </tr>
          </thead>
          <tbody>
            {props.mail.map((m) => (
              <tr key={m.id}>
                <td>{m.to}</td>
                <td>{m.subject}</td>
                <td>{formatDate(m.failed_at)}</td>
                <td>
                  <button type="button" className="small" onClick={() => void act(m.id, "resend")} aria-label={t("admin.notify.resendTo", { to: m.to })}>
                    {t("admin.notify.resend")}
                  </button>{" "}
                  <button type="button" className="small secondary" onClick={() => void act(m.id, "delete")} aria-label={t("admin.notify.dropTo", { to: m.to })}>
                    {t("admin.notify.drop")}
                  </button>
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      ) : null}
    </section>
  );
}
