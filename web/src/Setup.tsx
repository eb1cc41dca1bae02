import { useState, type FormEvent } from "react";
import { api, ApiError, signIn } from "./api.ts";
import { ErrorText, Field } from "./Field.tsx";
import { t } from "./i18n.ts";

export function Setup() {
  const params = new URLSearchParams(window.location.search);
  const [token, setToken] = useState(params.get("token") ?? "");
  const [team, setTeam] = useState("");
  const [subdomain, setSubdomain] = useState("");
  const [name, setName] = useState("");
  const [email, setEmail] = useState("");
  const [password, setPassword] = useState("");
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);

  async function submit(e: FormEvent) {
    e.preventDefault();
    setBusy(true);
    setError(null);
    try {
      await api("POST", "setup.json", { token, account: { name: team, subdomain }, owner: { name, email, password } });
      await signIn(email, password);
      window.location.assign("/agent");
    } catch (err) {
      setError(err instanceof ApiError ? (err.status === 404 ? t("setup.done") : err.explanation) : t("error.generic"));
      setBusy(false);
    }
  }

  return (
    <main className="page narrow">
      <h1>{t("setup.title")}</h1>
      <p>{t("setup.intro")}</p>
      <form onSubmit={submit}>
        <Field id="token" label={t("setup.token")}>
          <input id="token" value={token} onChange={(e) => setToken(e.target.value)} required autoComplete="off" />
        </Field>
        <Field id="team" label={t("setup.team")}>
          <input id="team" value={team} onChange={(e) => setTeam(e.target.value)} required />
        </Field>
        <Field id="subdomain" label={t("setup.subdomain")}>
          <input id="subdomain" value={subdomain} onChange={(e) => setSubdomain(e.target.value.toLowerCase())} required pattern="[a-z0-9-]+" />
        </Field>
        <Field id="name" label={t("setup.ownerName")}>
          <input id="name" value={name} onChange={(e) => setName(e.target.value)} required autoComplete="name" />
        </Field>
        <Field id="email" label={t("setup.email")}>
          <input id="email" type="email" value={email} onChange={(e) => setEmail(e.target.value)} required autoComplete="email" />
        </Field>
        <Field id="password" label={t("setup.password")}>
          <input id="password" type="password" value={password} onChange={(e) => setPassword(e.target.value)} required autoComplete="new-password" />
        </Field>
        <ErrorText text={error} />
        <button type="submit" disabled={busy}>
          {t("setup.submit")}
        </button>
      </form>
    </main>
  );
}
