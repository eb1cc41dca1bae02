import { useState, type FormEvent } from "react";
import { client, ok } from "../api.ts";
import type { SsoSettings } from "../api-schema.ts";
import { CheckField, Field, StatusText } from "../components/Field.tsx";
import { Loadable, useApi, useSetData } from "../data.tsx";
import { t, type MessageKey } from "../i18n/index.ts";
import { PageHeading } from "../router.tsx";
import { JwtSettings } from "./sso/JwtSettings.tsx";
import { OidcSettings } from "./sso/OidcSettings.tsx";
import { SamlSettings } from "./sso/SamlSettings.tsx";
import { useFailure } from "../components/SignInAgain.tsx";

export const SSO_SETTINGS_KEY = ["sso_settings"];
type Kind = "saml" | "oidc" | "jwt";
const KINDS: readonly Kind[] = ["saml", "oidc", "jwt"];
const ROLES = ["admin", "agent", "light_agent", "end_user"] as const;
const kindLabel = (k: string) => t(`sso.kind.${k}` as MessageKey);

/**
 * `/admin/sso`: single sign-on. Each identity provider's own settings are set up in its section
 * (the providers' components), and this page says who signs in with which, whether that is their
 * only way in, just-in-time creation and role mapping. The server checks every rule again.
 */
export function SingleSignOnPage() {
  const settings = useApi(SSO_SETTINGS_KEY, async (signal) => (await ok(client.GET("/api/v2/sso_settings", { signal }))).sso_settings);
  return (
    <main id="main" className="main">
      <PageHeading>{t("sso.admin.title")}</PageHeading>
      <p className="muted">{t("sso.admin.intro")}</p>
      <Loadable state={settings}>
        {(s) => (
          <>
            <section className="panel" aria-labelledby="sso-providers-heading">
              <h2 id="sso-providers-heading">{t("sso.admin.providers")}</h2>
              {s.providers.length === 0 ? <p className="muted">{t("sso.admin.noProviders")}</p> : (
                <ul>
                  {s.providers.map((p) => (
                    <li key={p.kind}>
                      {kindLabel(p.kind)}: {p.enabled ? t("sso.admin.enabled") : t("sso.admin.disabled")}
                    </li>
                  ))}
                </ul>
              )}
            </section>
            <SamlSettings />
            <OidcSettings />
            <JwtSettings />
            <WhoSignsInHow settings={s} />
          </>
        )}
      </Loadable>
    </main>
  );
}

function WhoSignsInHow(props: { settings: SsoSettings }) {
  const s = props.settings;
  const setData = useSetData();
  const enabled = new Set(s.providers.filter((p) => p.enabled).map((p) => p.kind));
  const [staffProvider, setStaffProvider] = useState<string>(s.staff_provider ?? "");
  const [endUserProvider, setEndUserProvider] = useState<string>(s.end_user_provider ?? "");
  const [staffOnly, setStaffOnly] = useState(s.staff_sso_only);
  const [endUsersOnly, setEndUsersOnly] = useState(s.end_users_sso_only);
  const [jit, setJit] = useState(s.jit_users);
  const [roleAttribute, setRoleAttribute] = useState(s.role_attribute ?? "");
  const [roleValues, setRoleValues] = useState<Record<string, string>>(Object.fromEntries(ROLES.map((r) => [r, (s.role_map[r] ?? []).join(", ")])));
  const failure = useFailure();
  const [status, setStatus] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);

  async function submit(e: FormEvent) {
    e.preventDefault();
    setBusy(true);
    failure.clear();
    setStatus(null);
    const list = (v: string | undefined) => (v ?? "").split(",").map((x) => x.trim()).filter((x) => x.length > 0);
    try {
      const r = await ok(
        client.PUT("/api/v2/sso_settings", {
          body: {
            sso_settings: {
              staff_provider: staffProvider === "" ? null : (staffProvider as Kind),
              end_user_provider: endUserProvider === "" ? null : (endUserProvider as Kind),
              staff_sso_only: staffOnly,
              end_users_sso_only: endUsersOnly,
              jit_users: jit,
              role_attribute: roleAttribute.trim() === "" ? null : roleAttribute.trim(),
              role_map: Object.fromEntries(ROLES.map((role) => [role, list(roleValues[role])])),
            },
          },
        }),
      );
      setData(SSO_SETTINGS_KEY, r.sso_settings);
      setStatus(t("admin.saved"));
    } catch (err) {
      failure.fail(err);
    } finally {
      setBusy(false);
    }
  }

  const choices = (id: string, value: string, set: (v: string) => void, label: MessageKey) => (
    <Field id={id} label={t(label)} help={t("sso.admin.onlyEnabled")}>
      <select value={value} onChange={(e) => set(e.target.value)}>
        <option value="">{t("sso.admin.none")}</option>
        {KINDS.map((k) => (
          <option key={k} value={k} disabled={!enabled.has(k) && value !== k}>
            {kindLabel(k)}
          </option>
        ))}
      </select>
    </Field>
  );

  return (
    <form className="form panel" onSubmit={submit} aria-busy={busy} aria-labelledby="sso-who-heading">
      <h2 id="sso-who-heading">{t("sso.admin.who")}</h2>
      {choices("sso-staff-provider", staffProvider, setStaffProvider, "sso.admin.staffProvider")}
      <CheckField id="sso-staff-only" label={t("sso.admin.staffOnly")} checked={staffOnly} onChange={setStaffOnly} help={t("sso.admin.staffOnlyHelp")} />
      {choices("sso-end-user-provider", endUserProvider, setEndUserProvider, "sso.admin.endUserProvider")}
      <CheckField id="sso-end-users-only" label={t("sso.admin.endUsersOnly")} checked={endUsersOnly} onChange={setEndUsersOnly} help={t("sso.admin.endUsersOnlyHelp")} />
      <CheckField id="sso-jit" label={t("sso.admin.jit")} checked={jit} onChange={setJit} help={t("sso.admin.jitHelp")} />
      <h3>{t("sso.admin.roles")}</h3>
      <Field id="sso-role-attribute" label={t("sso.admin.roleAttribute")} help={t("sso.admin.roleAttributeHelp")}>
        <input value={roleAttribute} onChange={(e) => setRoleAttribute(e.target.value)} maxLength={200} spellCheck={false} />
      </Field>
      {ROLES.map((role) => (
        <Field key={role} id={`sso-role-${role}`} label={t("sso.admin.roleValues", { role: t(`sso.role.${role}` as MessageKey) })}>
          <input value={roleValues[role] ?? ""} onChange={(e) => setRoleValues({ ...roleValues, [role]: e.target.value })} spellCheck={false} disabled={roleAttribute.trim() === ""} />
        </Field>
      ))}
      {failure.notice}
      <StatusText text={status} />
      <p className="actions">
        <button type="submit" disabled={busy}>
          {t("sso.admin.save")}
        </button>
      </p>
    </form>
  );
}
