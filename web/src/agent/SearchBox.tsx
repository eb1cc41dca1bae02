import { useState, type FormEvent } from "react";
import { t } from "../i18n/index.ts";
import { navigate, useLocation } from "../router.tsx";

/**
 * The workspace header's search: what the API's search understands (words, "quoted phrases",
 * status:open tags:vip requester:ada@example.com priority:high …). Results open at
 * `/agent/search?q=…`; the server explains in words what it cannot search (an unknown keyword).
 */
export function SearchBox() {
  const { path, query } = useLocation();
  const [text, setText] = useState(path === "/agent/search" ? (query.get("q") ?? "") : "");
  function submit(e: FormEvent) {
    e.preventDefault();
    if (text.trim()) navigate(`/agent/search?${new URLSearchParams({ q: text.trim() }).toString()}`);
  }
  return (
    <form role="search" className="searchbox" onSubmit={submit}>
      <label htmlFor="ticket-search" className="sr-only">
        {t("search.label")}
      </label>
      <input
        id="ticket-search"
        type="search"
        value={text}
        onChange={(e) => setText(e.target.value)}
        placeholder={t("search.placeholder")}
        aria-describedby="ticket-search-help"
        maxLength={1000}
        autoComplete="off"
        spellCheck={false}
      />
      <span id="ticket-search-help" className="sr-only">
        {t("search.help")}
      </span>
      <button type="submit">{t("search.submit")}</button>
    </form>
  );
}
