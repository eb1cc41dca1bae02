import { useEffect, useRef, useState, type FormEvent } from "react";
import { ApiError, client, explain, ok, signIn } from "../api.ts";
import { ErrorText, Field } from "../components/Field.tsx";
import { useApi } from "../data.tsx";
import { t } from "../i18n/index.ts";
import { Link, navigate, PageHeading } from "../router.tsx";

const SUBDOMAIN = /^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$/;

/**
 * First run: creates the first account with the one-time token the server printed on its console
 * (`/setup?token=…`), then signs the owner in and opens the agent workspace. Once an account
 * exists the server refuses setup and this page says so.
 */
export function Setup(props: { initialToken: string }) {
  const setup = useApi(["setup"], async (signal) => (await ok(client.GET("/api/v2/setup", { signal }))).setup.needed);
  const [finished, setFinished] = useState(false);
  const [token, setToken] = useState(props.initialToken);
  const [team, setTeam] = useState("");
  const [subdomain, setSubdomain] = useState("");
  const [name, setName] = useState("");
  const [email, setEmail] = useState("");
  const [password, setPassword] = useState("");
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  // The subdomain's rule is the server's (platform/schemas.ts): said up front, checked on leaving the field and on submit.
  const [subdomainChecked, setSubdomainChecked] = useState(false);
  const subdomainInput = useRef<HTMLInputElement>(null);
  const subdomainOk = SUBDOMAIN.test(subdomain);
  const subdomainError = subdomainChecked && subdomain !== "" && !subdomainOk ? t("setup.subdomainInvalid") : null;

  useEffect(() => {
    // Keep the token out of the address bar and the browser history once it is in the form.
    if (window.location.search) window.history.replaceState(null, "", "/setup");
  }, []);
  // When the server cannot say, the form is shown with the error: submitting tells the truth.
  const needed = finished ? false : setup.error ? true : setup.data;
  const loadError = setup.error ? explain(setup.error) : null;

  async function submit(e: FormEvent) {
    e.preventDefault();
    if (!subdomainOk) {
      setSubdomainChecked(true);
      subdomainInput.current?.focus();
      return;
    }
    setBusy(true);
    setError(null);
    try {
      await ok(client.POST("/api/v2/setup", { body: { token, account: { name: team, subdomain }, owner: { name, email, password } } }));
    } catch (err) {
      setBusy(false);
      if (err instanceof ApiError && err.status === 404) setFinished(true);
      else setError(err instanceof ApiError && err.status === 403 ? t("setup.badToken") : explain(err));
      return;
    }
    try {
      await signIn(email, password);
      navigate("/agent", { replace: true });
    } catch {
      // The account exists; signing in by hand still works.
      navigate("/agent", { replace: true });
    }
  }

  if (needed === undefined)
    return (
      <p className="page narrow" role="status">
        {t("app.loading")}
      </p>
    );
  if (!needed) {
    return (
      <main id="main" className="page narrow">
        <PageHeading>{t("setup.title")}</PageHeading>
        <p>{t("setup.finished")}</p>
        <p>
          <Link to="/agent">{t("setup.signIn")}</Link>
        </p>
      </main>
    );
  }
  const example = `${subdomain || "acme"}.${window.location.hostname}`;
  return (
    <main id="main" className="page narrow">
      <PageHeading>{t("setup.title")}</PageHeading>
      <p>{t("setup.intro")}</p>
      <form onSubmit={submit} aria-busy={busy}>
        <Field id="setup-token" label={t("setup.token")} help={t("setup.tokenHelp")}>
          <input value={token} onChange={(e) => setToken(e.target.value)} required autoComplete="off" spellCheck={false} />
        </Field>
        <Field id="setup-team" label={t("setup.team")}>
          <input value={team} onChange={(e) => setTeam(e.target.value)} required maxLength={120} autoComplete="organization" />
        </Field>
        <Field id="setup-subdomain" label={t("setup.subdomain")} help={t("setup.subdomainHelp", { example })} error={subdomainError}>
          <input
            ref={subdomainInput}
            value={subdomain}
            onChange={(e) => setSubdomain(e.target.value.toLowerCase())}
            onBlur={() => setSubdomainChecked(subdomain !== "")}
            required
            maxLength={63}
            autoComplete="off"
            spellCheck={false}
          />
        </Field>
        <Field id="setup-name" label={t("setup.ownerName")}>
          <input value={name} onChange={(e) => setName(e.target.value)} required maxLength={255} autoComplete="name" />
        </Field>
        <Field id="setup-email" label={t("setup.email")}>
          <input type="email" value={email} onChange={(e) => setEmail(e.target.value)} required maxLength={254} autoComplete="email" />
        </Field>
        <Field id="setup-password" label={t("setup.password")} help={t("setup.passwordHelp")}>
          <input type="password" value={password} onChange={(e) => setPassword(e.target.value)} required maxLength={256} autoComplete="new-password" />
        </Field>
        <ErrorText text={error ?? loadError} />
        <button type="submit" disabled={busy}>
          {busy ? t("setup.working") : t("setup.submit")}
        </button>
      </form>
    </main>
  );
}
