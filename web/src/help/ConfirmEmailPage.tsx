import { useEffect, useState } from "react";
import { ApiError, client, ok } from "../api.ts";
import { ErrorText } from "../components/Field.tsx";
import { t } from "../i18n/index.ts";
import { Link, navigate, PageHeading } from "../router.tsx";
import { explainHc, fieldError } from "./help-api.ts";

/**
 * `/confirm-email?token=…`: the link sent to a new e-mail address. As with sign-in links, the
 * token leaves the address bar at once and is used only when the person presses Confirm (a mail
 * scanner opening the link does not use it). Confirming changes the address and ends the person's
 * sessions; it signs nobody in, so the page sends them to sign in with the new address.
 */
export function ConfirmEmailPage(props: { initialToken: string; onConfirmed: () => Promise<void> }) {
  const [token] = useState(props.initialToken);
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const [done, setDone] = useState<string | null>(null);

  useEffect(() => {
    if (props.initialToken) navigate("/confirm-email", { replace: true });
  }, [props.initialToken]);

  async function confirm() {
    setBusy(true);
    setError(null);
    try {
      const r = await ok(client.POST("/api/v2/email_changes/confirm", { body: { token } }));
      setDone(r.email_change.email);
      // The change ended every session: the header must stop saying who is signed in.
      await props.onConfirmed();
    } catch (err) {
      const code = fieldError(err, "token");
      setError(
        code === "AlreadyUsed"
          ? t("hc.confirm.used")
          : code === "Expired"
            ? t("hc.confirm.expired")
            : code === "Cancelled"
              ? t("hc.confirm.cancelled")
              : fieldError(err, "email") === "DuplicateValue"
                ? t("hc.confirm.taken")
                : err instanceof ApiError && err.status === 404
                  ? t("hc.confirm.invalid")
                  : explainHc(err),
      );
    } finally {
      setBusy(false);
    }
  }

  return (
    <main id="main" className="page narrow">
      <PageHeading>{t("hc.confirm.title")}</PageHeading>
      {done ? (
        <>
          <p role="status">{t("hc.confirm.done", { email: done })}</p>
          <p>
            <Link to="/signin">{t("hc.confirm.signIn")}</Link>
          </p>
        </>
      ) : token ? (
        <>
          <p>{t("hc.confirm.intro")}</p>
          <ErrorText text={error} />
          <button type="button" onClick={() => void confirm()} disabled={busy || error !== null}>
            {busy ? t("hc.confirm.working") : t("hc.confirm.continue")}
          </button>
        </>
      ) : (
        <ErrorText text={t("hc.confirm.invalid")} />
      )}
    </main>
  );
}
