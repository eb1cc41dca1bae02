import { useState, type FormEvent } from "react";
import { client, explain, ok } from "../api.ts";
import { ErrorText, StatusText } from "../components/Field.tsx";
import { Loadable, useApi, useSetData } from "../data.tsx";
import { t } from "../i18n/index.ts";

const KEY = ["search_settings"];
const load = async (signal: AbortSignal) => (await ok(client.GET("/api/v2/search_settings", { signal }))).search_settings;
type Settings = Awaited<ReturnType<typeof load>>;

/** The account page's "Search languages" section (owners and admins): which stemmers search uses, and the latest rebuild of the index. */
export function SearchLanguagesSection() {
  const state = useApi(KEY, load);
  return (
    <section className="panel" aria-labelledby="search-languages-heading">
      <h2 id="search-languages-heading">{t("searchLang.title")}</h2>
      <p className="muted">{t("searchLang.intro")}</p>
      <Loadable state={state}>{(s) => <SearchLanguages settings={s} />}</Loadable>
    </section>
  );
}

const title = (language: string) => language.charAt(0).toUpperCase() + language.slice(1);

function SearchLanguages(props: { settings: Settings }) {
  const { settings } = props;
  const setData = useSetData();
  const [chosen, setChosen] = useState<string[]>(settings.languages);
  const [error, setError] = useState<string | null>(null);
  const [status, setStatus] = useState<string | null>(null);
  const toggle = (language: string, on: boolean) => setChosen((c) => (on ? [...c, language] : c.filter((l) => l !== language)));
  async function submit(e: FormEvent) {
    e.preventDefault();
    setError(null);
    setStatus(null);
    try {
      setData(KEY, (await ok(client.PUT("/api/v2/search_settings", { body: { search_settings: { languages: chosen } } }))).search_settings);
      setStatus(t("searchLang.saved"));
    } catch (err) {
      setError(explain(err));
    }
  }
  const job = settings.reindex;
  return (
    <form className="form" onSubmit={submit}>
      <fieldset className="consent-languages">
        <legend>{t("searchLang.legend")}</legend>
        {settings.available_languages.map((l) => (
          <label key={l} className="check">
            <input type="checkbox" checked={chosen.includes(l)} onChange={(e) => toggle(l, e.target.checked)} /> {title(l)}
          </label>
        ))}
      </fieldset>
      {job ? <p className="help">{t("searchLang.rebuild", { status: job.message ?? job.status, progress: String(job.progress), total: String(job.total) })}</p> : null}
      <ErrorText text={error} />
      <StatusText text={status} />
      <button type="submit">{t("searchLang.save")}</button>
    </form>
  );
}
