import { useState, type FormEvent } from "react";
import { client, ok } from "../api.ts";
import type { PasswordSettings } from "../api-schema.ts";
import { Field, StatusText } from "../components/Field.tsx";
import { useFailure } from "../components/SignInAgain.tsx";
import { Loadable, useApi, useSetData } from "../data.tsx";
import { t, type MessageKey } from "../i18n/index.ts";
import { PageHeading } from "../router.tsx";

const KEY = ["password-settings"];

type Policy = PasswordSettings["staff"];
type Rules = Extract<Policy, { level: "custom" }>["rules"];
type EndUserLevel = "low" | "medium" | "high" | "recommended";

/** Zendesk's recommended rules: where a new custom policy starts. */
const RECOMMENDED_RULES: Rules = { min_length: 12, mixed_case: true, digit: true, symbol: true, not_like_email: true, min_strength: 3, history: 0, expiry_days: null, lockout_attempts: 5, lockout_minutes: 10, max_sequence: null };

const LEVEL_TEXT: Record<EndUserLevel | "custom", MessageKey> = {
  low: "admin.passwords.level.low",
  medium: "admin.passwords.level.medium",
  high: "admin.passwords.level.high",
  recommended: "admin.passwords.level.recommended",
  custom: "admin.passwords.level.custom",
};

/**
 * `/admin/passwords`: the password policies for staff (recommended or custom) and for end users
 * (low, medium, high or recommended), and whether admins may set end users' passwords. The server
 * checks every value again (staff custom rules within Zendesk's ranges for team members).
 */
export function PasswordsPage() {
  const settings = useApi(KEY, async (signal) => (await ok(client.GET("/api/v2/password_settings", { signal }))).password_settings);
  return (
    <main id="main" className="main">
      <PageHeading>{t("admin.passwords.title")}</PageHeading>
      <p className="muted">{t("admin.passwords.intro")}</p>
      <Loadable state={settings}>{(s) => <SettingsForm settings={s} />}</Loadable>
    </main>
  );
}

const optionalNumber = (v: string): number | null => (v.trim() === "" ? null : Number(v));

function SettingsForm(props: { settings: PasswordSettings }) {
  const s = props.settings;
  const setData = useSetData();
  const [staffLevel, setStaffLevel] = useState<"recommended" | "custom">(s.staff.level === "custom" ? "custom" : "recommended");
  const start = s.staff.level === "custom" ? s.staff.rules : RECOMMENDED_RULES;
  const [rules, setRules] = useState<Rules>(start);
  const [expiry, setExpiry] = useState(start.expiry_days === null ? "" : String(start.expiry_days));
  const [sequence, setSequence] = useState(start.max_sequence === null ? "" : String(start.max_sequence));
  const [endUsers, setEndUsers] = useState<EndUserLevel>((s.end_users.level === "custom" ? "medium" : s.end_users.level) as EndUserLevel);
  const [adminsSet, setAdminsSet] = useState(s.admins_set_end_user_passwords);
  const failure = useFailure();
  const [status, setStatus] = useState<string | null>(null);
  const set = <K extends keyof Rules>(k: K, v: Rules[K]) => setRules((r) => ({ ...r, [k]: v }));

  async function submit(e: FormEvent) {
    e.preventDefault();
    failure.clear();
    setStatus(null);
    const staff: Policy = staffLevel === "custom" ? { level: "custom", rules: { ...rules, expiry_days: optionalNumber(expiry), max_sequence: optionalNumber(sequence) } } : { level: "recommended" };
    try {
      const r = await ok(client.PUT("/api/v2/password_settings", { body: { password_settings: { staff, end_users: { level: endUsers }, admins_set_end_user_passwords: adminsSet } } }));
      setData(KEY, r.password_settings);
      setStatus(t("admin.saved"));
    } catch (err) {
      failure.fail(err);
    }
  }

  const num = (id: string, label: MessageKey, k: "min_length" | "history" | "lockout_attempts" | "lockout_minutes", min: number, max: number, help?: MessageKey) => (
    <Field id={id} label={t(label)} help={help ? t(help) : undefined}>
      <input type="number" min={min} max={max} step={1} value={rules[k]} onChange={(e) => set(k, Number(e.target.value))} required />
    </Field>
  );

  return (
    <form className="form" onSubmit={submit}>
      <fieldset>
        <legend>{t("admin.passwords.staff")}</legend>
        {(["recommended", "custom"] as const).map((level) => (
          <label className="check" key={level}>
            <input type="radio" name="staff-level" value={level} checked={staffLevel === level} onChange={() => setStaffLevel(level)} /> {t(LEVEL_TEXT[level])}
          </label>
        ))}
        {staffLevel === "custom" ? (
          <div className="nested">
            {num("pw-min", "admin.passwords.minLength", "min_length", 12, 128)}
            <label className="check">
              <input type="checkbox" checked={rules.mixed_case} onChange={(e) => set("mixed_case", e.target.checked)} /> {t("admin.passwords.mixedCase")}
            </label>
            <label className="check">
              <input type="checkbox" checked={rules.digit} onChange={(e) => set("digit", e.target.checked)} /> {t("admin.passwords.digit")}
            </label>
            <label className="check">
              <input type="checkbox" checked={rules.symbol} onChange={(e) => set("symbol", e.target.checked)} /> {t("admin.passwords.symbol")}
            </label>
            <Field id="pw-strength" label={t("admin.passwords.strength")} help={t("admin.passwords.strengthHelp")}>
              <select value={rules.min_strength} onChange={(e) => set("min_strength", Number(e.target.value))}>
                {[0, 1, 2, 3, 4].map((n) => (
                  <option key={n} value={n}>
                    {n}
                  </option>
                ))}
              </select>
            </Field>
            {num("pw-history", "admin.passwords.history", "history", 0, 24)}
            <Field id="pw-expiry" label={t("admin.passwords.expiry")} help={t("admin.passwords.expiryHelp")}>
              <input type="number" min={1} max={3650} step={1} value={expiry} onChange={(e) => setExpiry(e.target.value)} />
            </Field>
            {num("pw-attempts", "admin.passwords.attempts", "lockout_attempts", 5, 10)}
            {num("pw-lockout", "admin.passwords.lockoutMinutes", "lockout_minutes", 1, 1440, "admin.passwords.lockoutHelp")}
            <Field id="pw-sequence" label={t("admin.passwords.sequence")} help={t("admin.passwords.sequenceHelp")}>
              <input type="number" min={2} max={20} step={1} value={sequence} onChange={(e) => setSequence(e.target.value)} />
            </Field>
            <p className="help">{t("admin.passwords.notLikeEmail")}</p>
          </div>
        ) : null}
      </fieldset>
      <fieldset>
        <legend>{t("admin.passwords.endUsers")}</legend>
        {(["low", "medium", "high", "recommended"] as const).map((level) => (
          <label className="check" key={level}>
            <input type="radio" name="end-user-level" value={level} checked={endUsers === level} onChange={() => setEndUsers(level)} /> {t(LEVEL_TEXT[level])}
          </label>
        ))}
      </fieldset>
      <label className="check">
        <input type="checkbox" checked={adminsSet} onChange={(e) => setAdminsSet(e.target.checked)} /> {t("admin.passwords.adminsSet")}
      </label>
      <p className="help">{t("admin.passwords.adminsSetHelp")}</p>
      {failure.notice}
      <StatusText text={status} />
      <button type="submit">{t("admin.save")}</button>
    </form>
  );
}
