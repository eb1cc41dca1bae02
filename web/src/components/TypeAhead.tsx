import { useEffect, useRef, useState, type KeyboardEvent } from "react";
import { explain } from "../api.ts";
import { t } from "../i18n/index.ts";
import { Field } from "./Field.tsx";

/** One choice of a type-ahead: its id, what it is called, and a detail shown after it (an e-mail address). */
export type TypeAheadOption = { id: number; label: string; detail?: string | null };

/**
 * A labelled text box that asks the server for matches as the person types (after a short pause,
 * the previous request aborted) and lists them under it: an ARIA combobox with a listbox, so the
 * arrow keys move through the choices, Enter takes one, Escape closes the list, and screen readers
 * hear the highlighted choice and how many were found. `search` is only called with some text.
 */
export function TypeAhead(props: {
  id: string;
  label: string;
  help?: string;
  search: (text: string, signal: AbortSignal) => Promise<TypeAheadOption[]>;
  onPick: (option: TypeAheadOption) => void;
  disabled?: boolean;
  autoFocus?: boolean;
}) {
  const { search } = props;
  const [text, setText] = useState("");
  // The choices and the text they were found for: only those for the text now in the box are
  // shown or taken (Enter right after another key never picks a choice found for the text before).
  const [found, setFound] = useState<{ query: string; options: TypeAheadOption[] } | null>(null);
  const options = found !== null && found.query === text.trim() ? found.options : null;
  const [active, setActive] = useState(-1);
  const [open, setOpen] = useState(false);
  const [state, setState] = useState<{ kind: "idle" | "searching" } | { kind: "error"; message: string }>({ kind: "idle" });
  const listId = `${props.id}-list`;
  const searchRef = useRef(search);
  searchRef.current = search;

  useEffect(() => {
    const q = text.trim();
    if (!q) {
      setFound(null);
      setState({ kind: "idle" });
      return;
    }
    const ctl = new AbortController();
    const timer = setTimeout(() => {
      setState({ kind: "searching" });
      searchRef.current(q, ctl.signal).then(
        (results) => {
          if (ctl.signal.aborted) return;
          setFound({ query: q, options: results });
          setActive(results.length ? 0 : -1);
          setState({ kind: "idle" });
        },
        (err: unknown) => {
          if (!ctl.signal.aborted) setState({ kind: "error", message: explain(err) });
        },
      );
    }, 250);
    return () => {
      clearTimeout(timer);
      ctl.abort();
    };
  }, [text]);

  const shown = open && options !== null && options.length > 0;
  function pick(o: TypeAheadOption) {
    setOpen(false);
    setText("");
    setFound(null);
    props.onPick(o);
  }
  function onKeyDown(e: KeyboardEvent<HTMLInputElement>) {
    // Enter in a search box with text chooses from its list, never submits a form around it
    // (the edit form's Save while its matches are still being found).
    if (e.key === "Enter" && text.trim()) e.preventDefault();
    if (!options?.length) return;
    if (e.key === "ArrowDown" || e.key === "ArrowUp") {
      e.preventDefault();
      setOpen(true);
      const step = e.key === "ArrowDown" ? 1 : -1;
      setActive((a) => (a + step + options.length) % options.length);
    } else if (e.key === "Enter" && shown && active >= 0) {
      e.preventDefault();
      const o = options[active];
      if (o) pick(o);
    } else if (e.key === "Escape" && shown) {
      e.preventDefault();
      setOpen(false);
    }
  }
  const status =
    state.kind === "error"
      ? state.message
      : state.kind === "searching"
        ? t("typeahead.searching")
        : options === null
          ? ""
          : options.length === 0
            ? t("typeahead.none")
            : t("typeahead.found", { count: options.length });
  return (
    <div className="typeahead">
      <Field id={props.id} label={props.label} help={props.help}>
        <input
          type="text"
          role="combobox"
          aria-autocomplete="list"
          aria-expanded={shown}
          aria-controls={listId}
          aria-activedescendant={shown && active >= 0 ? `${listId}-${active}` : undefined}
          autoComplete="off"
          spellCheck={false}
          value={text}
          disabled={props.disabled}
          autoFocus={props.autoFocus}
          onChange={(e) => {
            setText(e.target.value);
            setOpen(true);
          }}
          onKeyDown={onKeyDown}
          onFocus={() => setOpen(true)}
          onBlur={() => setOpen(false)}
        />
      </Field>
      <ul id={listId} role="listbox" aria-label={props.label} className="typeahead-list" hidden={!shown}>
        {shown
          ? options.map((o, i) => (
              <li
                key={o.id}
                id={`${listId}-${i}`}
                role="option"
                aria-selected={i === active}
                className={i === active ? "active" : undefined}
                // Chosen before the box loses focus (which closes the list).
                onMouseDown={(e) => {
                  e.preventDefault();
                  pick(o);
                }}
                onMouseEnter={() => setActive(i)}
              >
                <span>{o.label}</span>
                {o.detail ? <span className="muted"> {o.detail}</span> : null}
              </li>
            ))
          : null}
      </ul>
      <p className={state.kind === "error" ? "error typeahead-status" : "muted typeahead-status"} role="status">
        {status}
      </p>
    </div>
  );
}
