import { useEffect, useRef, useState, type KeyboardEvent } from "react";
import { explain } from "../api.ts";
import { ErrorText } from "../components/Field.tsx";
import { useApi } from "../data.tsx";
import { t } from "../i18n/index.ts";
import { applyMacro, loadActiveMacros, macroSections, type Macro, type MacroApplied } from "../macros.ts";
import { macroMatches } from "./macro-draft.ts";
import { KEYS } from "./model.ts";

/**
 * "Apply macro" beside the reply box: a button opening a filterable list of the active macros the
 * agent sees (an ARIA combobox: type to filter, the arrow keys move, Enter applies, Escape closes),
 * the agent's team's most used of the last 7 days first, then grouped by category (the title's part
 * before `::`, as Zendesk groups them).
 * Choosing one asks the server to apply it to this ticket (placeholders rendered, nothing saved)
 * and hands the answer to the page, which fills its pending update.
 */
export function MacroPicker(props: { ticketId: number; disabled?: boolean; onApplied: (macro: Macro, applied: MacroApplied) => void }) {
  const [open, setOpen] = useState(false);
  const [text, setText] = useState("");
  const [active, setActive] = useState(0);
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const button = useRef<HTMLButtonElement>(null);
  const input = useRef<HTMLInputElement>(null);
  const macros = useApi(open ? KEYS.activeMacros : null, (signal) => loadActiveMacros(signal), { staleTime: 30_000 });
  const sections = macroSections((macros.data ?? []).filter((m) => macroMatches(text, m.title)), text.trim() !== "");
  // The keyboard moves through the options in the order they are shown (a macro may be in "Most used" and in its category).
  const shown = sections.flatMap((s) => s.macros);
  const listId = "macro-list";
  useEffect(() => {
    if (open) input.current?.focus();
  }, [open]);
  useEffect(() => setActive(0), [text]);

  function close() {
    setOpen(false);
    setText("");
    button.current?.focus();
  }

  async function choose(m: Macro) {
    setBusy(true);
    setError(null);
    try {
      const applied = await applyMacro(props.ticketId, m.id);
      props.onApplied(m, applied);
      setOpen(false);
      setText("");
    } catch (err) {
      setError(explain(err));
    } finally {
      setBusy(false);
    }
  }

  function onKeyDown(e: KeyboardEvent<HTMLInputElement>) {
    // Enter chooses from the list; it never submits the ticket's form around it.
    if (e.key === "Enter") {
      e.preventDefault();
      const m = shown[active];
      if (m && !busy) void choose(m);
    } else if (e.key === "ArrowDown" || e.key === "ArrowUp") {
      e.preventDefault();
      if (!shown.length) return;
      const step = e.key === "ArrowDown" ? 1 : -1;
      setActive((a) => (a + step + shown.length) % shown.length);
    } else if (e.key === "Escape") {
      e.preventDefault();
      close();
    }
  }

  if (!open)
    return (
      <div className="macro-picker">
        <button type="button" ref={button} className="secondary" aria-expanded={false} disabled={props.disabled} onClick={() => setOpen(true)}>
          {t("macros.apply")}
        </button>
        <ErrorText text={error} />
      </div>
    );
  const status = macros.error
    ? explain(macros.error)
    : !macros.data
      ? t("macros.loading")
      : busy
        ? t("macros.applying")
        : shown.length === 0
          ? text.trim()
            ? t("macros.noMatch")
            : t("macros.noneActive")
          : t("macros.found", { count: new Set(shown.map((m) => m.id)).size });
  return (
    <div className="macro-picker open">
      <label htmlFor="macro-filter">{t("macros.filterLabel")}</label>
      <div className="macro-filter-row">
        <input
          id="macro-filter"
          ref={input}
          type="text"
          role="combobox"
          aria-autocomplete="list"
          aria-expanded={shown.length > 0}
          aria-controls={listId}
          aria-activedescendant={shown.length > 0 ? `${listId}-${Math.min(active, shown.length - 1)}` : undefined}
          aria-describedby="macro-filter-help"
          autoComplete="off"
          spellCheck={false}
          value={text}
          disabled={busy}
          onChange={(e) => setText(e.target.value)}
          onKeyDown={onKeyDown}
        />
        <button type="button" className="secondary" onClick={close}>
          {t("macros.close")}
        </button>
      </div>
      <p id="macro-filter-help" className="help">
        {t("macros.filterHelp")}
      </p>
      <div id={listId} role="listbox" aria-label={t("macros.listLabel")} className="macro-list">
        {sections.map((section, si) => {
          const offset = sections.slice(0, si).reduce((n, x) => n + x.macros.length, 0);
          const label = section.mostUsed ? t("macros.mostUsed") : (section.category ?? t("macros.uncategorised"));
          return (
            <ul key={`${si}-${label}`} role="group" aria-labelledby={`${listId}-g${si}`} className="macro-group">
              <li role="presentation" id={`${listId}-g${si}`} className="macro-group-label">
                {label}
              </li>
              {section.macros.map((m, j) => {
                const i = offset + j;
                return (
                  <li
                    key={m.id}
                    id={`${listId}-${i}`}
                    role="option"
                    aria-selected={i === active}
                    className={i === active ? "active" : undefined}
                    onMouseDown={(e) => e.preventDefault()}
                    onClick={() => !busy && void choose(m)}
                    onMouseEnter={() => setActive(i)}
                  >
                    <span>{m.title}</span>
                    {m.description ? <span className="muted"> — {m.description}</span> : null}
                  </li>
                );
              })}
            </ul>
          );
        })}
      </div>
      <p className="muted macro-status" role="status">
        {status}
      </p>
      <ErrorText text={error} />
    </div>
  );
}
