import { useEffect, useRef, useState } from "react";

/**
 * The state of a page listing an `OrderedTable` (triggers, automations, SLA policies): what it
 * shows (the list, or one of its own modes — an editor, a question — given as `Other`), its notice
 * and error, whether a change is under way, and the button the focus goes back to. `open` shows a
 * mode from the button `from` (clearing the notice and error), `done` goes back to the list with a
 * notice, `focusBack` names the button to focus once the list shows again (after a move or a
 * toggle). `data` is the list as loaded: the focus goes back when it comes, or when `busy` ends.
 */
export function useOrderedList<Other extends { kind: string }>(data: unknown) {
  const [mode, setMode] = useState<{ kind: "list" } | Other>({ kind: "list" });
  const [notice, setNotice] = useState<string | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  // Closing the editor or the question, or a move, gives the focus back to the button that was used.
  const back = useRef<string | null>(null);
  useEffect(() => {
    if (mode.kind !== "list" || !back.current) return;
    const el = document.getElementById(back.current) as HTMLButtonElement | null;
    if (el && !el.disabled) el.focus();
  }, [mode, data, busy]);
  const open = (m: Other, from: string) => {
    back.current = from;
    setNotice(null);
    setError(null);
    setMode(m);
  };
  const done = (message: string | null) => {
    setNotice(message);
    setMode({ kind: "list" });
  };
  const focusBack = (id: string) => {
    back.current = id;
  };
  return { mode, open, done, notice, setNotice, error, setError, busy, setBusy, focusBack };
}
