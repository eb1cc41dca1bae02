import { useState, type FormEvent } from "react";
import { client, explain, ok } from "../api.ts";
import type { RedactionSettings } from "../api-schema.ts";
import { ErrorText, StatusText } from "../components/Field.tsx";
import { Loadable, useApi, useSetData } from "../data.tsx";
import { formatDate, t, type MessageKey } from "../i18n/index.ts";
import { PageHeading } from "../router.tsx";

const KEY = ["redaction_settings"];
type Country = RedactionSettings["available_national_ids"][number];

/**
 * What each detector masks, as the server's masking step (platform/redaction.ts) writes it: the
 * last four letters or digits stay, separators stay. The numbers are the well-known test numbers
 * of each scheme (valid check digits, no real person's).
 */
const CARD_EXAMPLE = { number: "4111 1111 1111 1111", masked: "**** **** **** 1111" };
const IBAN_EXAMPLE = { number: "NL91 ABNA 0417 1643 00", masked: "**** **** **** **43 00" };
const COUNTRY: Record<Country, { label: MessageKey; number: string; masked: string }> = {
  SE: { label: "redaction.country.SE", number: "850709-9805", masked: "******-9805" },
  DK: { label: "redaction.country.DK", number: "211062-5629", masked: "******-5629" },
  FI: { label: "redaction.country.FI", number: "131052-308T", masked: "******-308T" },
  NO: { label: "redaction.country.NO", number: "15108695088", masked: "*******5088" },
  US: { label: "redaction.country.US", number: "536-90-4399", masked: "***-**-4399" },
};

/**
 * `/admin/redaction`: the detectors that mask text on its way in beside card numbers (always on):
 * IBANs and national identity numbers by country (GET/PUT /api/v2/redaction_settings). Owners and
 * admins; the server decides, validates (422) and audits.
 */
export function RedactionPage() {
  const settings = useApi(KEY, async (signal) => (await ok(client.GET("/api/v2/redaction_settings", { signal }))).redaction_settings);
  return (
    <main id="main" className="main">
      <PageHeading>{t("redaction.title")}</PageHeading>
      <p className="muted">{t("redaction.intro")}</p>
      <Loadable state={settings}>{(s) => <RedactionForm settings={s} />}</Loadable>
    </main>
  );
}

function Example(props: { id: string; number: string; masked: string }) {
  return (
    <span className="help" id={props.id}>
      {t("redaction.example", { number: props.number, masked: props.masked })}
    </span>
  );
}

function RedactionForm(props: { settings: RedactionSettings }) {
  const s = props.settings;
  const setData = useSetData();
  const [iban, setIban] = useState(s.iban);
  const [countries, setCountries] = useState<ReadonlySet<Country>>(new Set(s.national_ids));
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const [status, setStatus] = useState<string | null>(null);

  function toggle(c: Country, on: boolean) {
    const next = new Set(countries);
    if (on) next.add(c);
    else next.delete(c);
    setCountries(next);
  }
  async function submit(e: FormEvent) {
    e.preventDefault();
    setBusy(true);
    setError(null);
    setStatus(null);
    try {
      const national_ids = s.available_national_ids.filter((c) => countries.has(c));
      const r = (await ok(client.PUT("/api/v2/redaction_settings", { body: { redaction_settings: { iban, national_ids } } }))).redaction_settings;
      setIban(r.iban);
      setCountries(new Set(r.national_ids));
      setStatus(t("admin.saved"));
      setData(KEY, r);
    } catch (err) {
      setError(explain(err));
    } finally {
      setBusy(false);
    }
  }
  return (
    <form className="form" onSubmit={submit} aria-busy={busy}>
      <fieldset className="consent-languages redaction-detectors">
        <legend>{t("redaction.detectors")}</legend>
        <label className="check">
          {/* Shown, not changeable: the server masks card numbers whatever is saved here. */}
          <input type="checkbox" checked disabled aria-describedby="redaction-cards-example" />
          {t("redaction.cards")}
        </label>
        <p>
          <Example id="redaction-cards-example" {...CARD_EXAMPLE} />
        </p>
        <label className="check">
          <input type="checkbox" checked={iban} onChange={(e) => setIban(e.target.checked)} aria-describedby="redaction-iban-example" />
          {t("redaction.iban")}
        </label>
        <p>
          <Example id="redaction-iban-example" {...IBAN_EXAMPLE} />
        </p>
      </fieldset>
      <fieldset className="consent-languages redaction-detectors" aria-describedby="redaction-national-help">
        <legend>{t("redaction.nationalIds")}</legend>
        <p className="help" id="redaction-national-help">
          {t("redaction.nationalIdsHelp")}
        </p>
        {s.available_national_ids.map((c) => {
          const info = COUNTRY[c];
          return (
            <div key={c}>
              <label className="check">
                <input type="checkbox" value={c} checked={countries.has(c)} onChange={(e) => toggle(c, e.target.checked)} aria-describedby={`redaction-${c}-example`} />
                {t(info.label)}
              </label>
              <p>
                <Example id={`redaction-${c}-example`} number={info.number} masked={info.masked} />
              </p>
            </div>
          );
        })}
      </fieldset>
      <p className="help">{t("redaction.applies")}</p>
      <p className="muted">{s.updated_at ? t("redaction.updated", { when: formatDate(s.updated_at) }) : t("redaction.never")}</p>
      <ErrorText text={error} />
      <StatusText text={status} />
      <p className="actions">
        <button type="submit" disabled={busy}>
          {t("admin.save")}
        </button>
      </p>
    </form>
  );
}
