import { useState, type FormEvent } from "react";
import { client, explain, ok } from "../api.ts";
import { ErrorText, Field } from "../components/Field.tsx";
import { formatDate, t } from "../i18n/index.ts";

type Mode = "delete_after_grace" | "shred_now";
type Outcome = { status: "active" | "closed" | "shredded"; deletes_at: string | null };

/**
 * The Account page's danger zone (owners only): closing the account, with its data deleted after
 * the grace period or shredded at once. The owner types the subdomain and their password; the
 * server checks both (and refuses while a legal hold is in force). Afterwards nothing of the
 * account answers any more, so the outcome is the last thing this page shows.
 */
export function CloseAccountSection(props: { subdomain: string }) {
  const [mode, setMode] = useState<Mode>("delete_after_grace");
  const [confirm, setConfirm] = useState("");
  const [password, setPassword] = useState("");
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const [outcome, setOutcome] = useState<Outcome | null>(null);

  async function submit(e: FormEvent) {
    e.preventDefault();
    setError(null);
    setBusy(true);
    try {
      const r = await ok(client.POST("/api/v2/account/termination", { body: { termination: { mode, confirm_subdomain: confirm, password } } }));
      setOutcome(r.termination);
      setPassword("");
    } catch (err) {
      setError(explain(err));
    } finally {
      setBusy(false);
    }
  }

  if (outcome) {
    return (
      <section className="danger-zone" aria-labelledby="close-account-heading">
        <h2 id="close-account-heading">{t("termination.title")}</h2>
        <p role="status">
          {outcome.status === "shredded" ? t("termination.shredded") : t("termination.closed", { date: outcome.deletes_at ? formatDate(outcome.deletes_at) : "" })}
        </p>
      </section>
    );
  }
  return (
    <section className="danger-zone" aria-labelledby="close-account-heading">
      <h2 id="close-account-heading">{t("termination.title")}</h2>
      <p>{t("termination.intro")}</p>
      <form className="form" onSubmit={submit} aria-busy={busy}>
        <fieldset className="choice">
          <legend>{t("termination.mode")}</legend>
          <label>
            <input type="radio" name="termination-mode" value="delete_after_grace" checked={mode === "delete_after_grace"} onChange={() => setMode("delete_after_grace")} />
            <span>
              <strong>{t("termination.grace")}</strong> {t("termination.graceHelp")}
            </span>
          </label>
          <label>
            <input type="radio" name="termination-mode" value="shred_now" checked={mode === "shred_now"} onChange={() => setMode("shred_now")} />
            <span>
              <strong>{t("termination.now")}</strong> {t("termination.nowHelp")}
            </span>
          </label>
        </fieldset>
        <Field id="termination-subdomain" label={t("termination.confirm", { subdomain: props.subdomain })}>
          <input value={confirm} onChange={(e) => setConfirm(e.target.value)} required autoComplete="off" spellCheck={false} maxLength={100} />
        </Field>
        <Field id="termination-password" label={t("termination.password")}>
          <input type="password" value={password} onChange={(e) => setPassword(e.target.value)} required autoComplete="current-password" maxLength={256} />
        </Field>
        <ErrorText text={error} />
        <button type="submit" className="danger" disabled={busy || confirm.trim().toLowerCase() !== props.subdomain}>
          {mode === "shred_now" ? t("termination.submitNow") : t("termination.submitGrace")}
        </button>
      </form>
    </section>
  );
}
