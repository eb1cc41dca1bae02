import { useState } from "react";
import { ApiError, client, ok } from "../api.ts";
import type { Answer } from "../api-schema.ts";
import { ErrorText, StatusText } from "../components/Field.tsx";
import { useFailure } from "../components/SignInAgain.tsx";
import { Loadable, useApi } from "../data.tsx";
import { formatDate, hasMessage, t, type MessageKey } from "../i18n/index.ts";
import { Link, PageHeading } from "../router.tsx";

type Posture = Answer<"showCompliancePosture">["posture"];
type Control = Posture["controls"][number];
type Subprocessors = Answer<"listSubprocessors">;
/** A failing control named by a refusal: its key, what is wrong, where to fix it. */
type Failing = { key: string; description: string; fix: string | undefined };

const POSTURE_KEY = ["compliance", "posture"];
const SUBPROCESSORS_KEY = ["compliance", "subprocessors"];

/**
 * `/admin/compliance`: the security posture report (each control's state, who is responsible for
 * it under the shared-responsibility split, what is wrong and where to fix it), the healthcare
 * mode switch (showing the failing controls when the server refuses it), and the operator's
 * hosting region and sub-processors. Admins only; the server decides and audits.
 */
export function CompliancePage() {
  const posture = useApi(POSTURE_KEY, async (signal) => (await ok(client.GET("/api/v2/compliance/posture", { signal }))).posture);
  const subprocessors = useApi(SUBPROCESSORS_KEY, async (signal) => ok(client.GET("/api/v2/compliance/subprocessors", { signal })));
  return (
    <main id="main" className="main">
      <PageHeading>{t("compliance.title")}</PageHeading>
      <p className="muted">{t("compliance.intro")}</p>
      <Loadable state={posture}>
        {(p) => (
          <>
            <HealthcareMode enabled={p.healthcare_mode} reload={() => void posture.reload()} />
            <PostureTable posture={p} />
          </>
        )}
      </Loadable>
      <section aria-labelledby="compliance-subprocessors-heading">
        <h2 id="compliance-subprocessors-heading">{t("compliance.subprocessors")}</h2>
        <Loadable state={subprocessors}>{(s) => <SubprocessorList list={s} />}</Loadable>
      </section>
    </main>
  );
}

/** An admin-center path as a link; a docs page as the operator's reference. */
function FixLink(props: { fix: string }) {
  if (props.fix.startsWith("/admin/")) return <Link to={props.fix}>{props.fix}</Link>;
  return <span className="help">{t("compliance.docs", { path: props.fix })}</span>;
}

function HealthcareMode(props: { enabled: boolean; reload: () => void }) {
  const [busy, setBusy] = useState(false);
  // A refusal naming failing controls; any other answer (a sign-in too old for this step too) is the failure's.
  const [error, setError] = useState<string | null>(null);
  const failure = useFailure();
  const [status, setStatus] = useState<string | null>(null);
  const [failing, setFailing] = useState<Failing[]>([]);

  async function change(enabled: boolean) {
    setBusy(true);
    setError(null);
    failure.clear();
    setStatus(null);
    setFailing([]);
    try {
      await ok(client.PUT("/api/v2/compliance/healthcare_mode", { body: { healthcare_mode: { enabled } } }));
      setStatus(enabled ? t("compliance.turnedOn") : t("compliance.turnedOff"));
      props.reload();
    } catch (err) {
      const details = err instanceof ApiError && err.status === 422 ? err.body?.details : undefined;
      if (details) {
        setFailing(Object.entries(details).map(([key, list]) => ({ key, description: list[0]?.description ?? key, fix: list[0]?.fix })));
        setError(t("compliance.refused"));
      } else failure.fail(err);
    } finally {
      setBusy(false);
    }
  }

  return (
    <section aria-labelledby="compliance-healthcare-heading" className="panel">
      <h2 id="compliance-healthcare-heading">{t("compliance.healthcare")}</h2>
      <p className="help">{t("compliance.healthcareIntro")}</p>
      <p>
        <strong>{props.enabled ? t("compliance.healthcareOn") : t("compliance.healthcareOff")}</strong>
      </p>
      <ErrorText text={error} />
      {failure.notice}
      {failing.length > 0 ? (
        <ul aria-label={t("compliance.refused")}>
          {failing.map((f) => (
            <li key={f.key}>
              {f.description} {f.fix ? <FixLink fix={f.fix} /> : null}
            </li>
          ))}
        </ul>
      ) : null}
      <StatusText text={status} />
      <p className="actions">
        <button type="button" disabled={busy} className={props.enabled ? "secondary" : undefined} onClick={() => void change(!props.enabled)}>
          {props.enabled ? t("compliance.turnOff") : t("compliance.turnOn")}
        </button>
      </p>
    </section>
  );
}

function PostureTable(props: { posture: Posture }) {
  const p = props.posture;
  return (
    <section aria-labelledby="compliance-posture-heading">
      <h2 id="compliance-posture-heading">{t("compliance.posture")}</h2>
      <p className="muted">{t("compliance.counts", { pass: p.counts.pass, fail: p.counts.fail, na: p.counts.not_applicable, when: formatDate(p.checked_at) })}</p>
      <table className="admin">
        <caption>{t("compliance.caption")}</caption>
        <thead>
          <tr>
            <th scope="col">{t("compliance.control")}</th>
            <th scope="col">{t("compliance.state")}</th>
            <th scope="col">{t("compliance.owner")}</th>
            <th scope="col">{t("compliance.detail")}</th>
            <th scope="col">{t("compliance.fix")}</th>
          </tr>
        </thead>
        <tbody>
          {p.controls.map((c) => (
            <ControlRow key={c.key} control={c} />
          ))}
        </tbody>
      </table>
    </section>
  );
}

const STATE_LABEL: Record<Control["state"], MessageKey> = { pass: "compliance.state.pass", fail: "compliance.state.fail", not_applicable: "compliance.state.not_applicable" };
const OWNER_LABEL: Record<Control["owner"], MessageKey> = { operator: "compliance.owner.operator", customer: "compliance.owner.customer" };

/** A control's title in the page's language; one the catalog does not know yet (a newer server) in the server's words. */
function titleOf(c: Control): string {
  const key = `compliance.controlTitle.${c.key}`;
  return hasMessage(key) ? t(key) : c.title;
}

function ControlRow(props: { control: Control }) {
  const c = props.control;
  return (
    <tr data-control={c.key}>
      <td data-label={t("compliance.control")}>
        {titleOf(c)} {c.healthcare ? <span className="badge">{t("compliance.healthcareBadge")}</span> : null}
      </td>
      <td data-label={t("compliance.state")}>
        <span className={`badge state-${c.state}`}>{t(STATE_LABEL[c.state])}</span>
      </td>
      <td data-label={t("compliance.owner")}>{t(OWNER_LABEL[c.owner])}</td>
      <td data-label={t("compliance.detail")}>{c.detail}</td>
      <td data-label={t("compliance.fix")}>
        <FixLink fix={c.fix} />
      </td>
    </tr>
  );
}

function SubprocessorList(props: { list: Subprocessors }) {
  const { list } = props;
  return (
    <>
      <p>{t("compliance.region", { region: list.hosting_region })}</p>
      {list.subprocessors.length === 0 ? (
        <p className="muted">{t("compliance.noSubprocessors")}</p>
      ) : (
        <table className="admin">
          <caption>{t("compliance.subprocessorsCaption")}</caption>
          <thead>
            <tr>
              <th scope="col">{t("compliance.name")}</th>
              <th scope="col">{t("compliance.purpose")}</th>
              <th scope="col">{t("compliance.location")}</th>
            </tr>
          </thead>
          <tbody>
            {list.subprocessors.map((s) => (
              <tr key={s.name}>
                <td data-label={t("compliance.name")}>{s.url ? <a href={s.url} rel="noopener noreferrer" target="_blank">{s.name}</a> : s.name}</td>
                <td data-label={t("compliance.purpose")}>{s.purpose}</td>
                <td data-label={t("compliance.location")}>{s.location}</td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </>
  );
}
