import { useEffect, useRef, useState } from "react";
import { explain } from "../api.ts";
import { ErrorText } from "./Field.tsx";

/**
 * Asked before deleting a saved item (a view, a macro): the dialog takes the focus, so the choice
 * in front of the keyboard is to keep it; the danger button runs `remove` (the deletion and what
 * follows it), and a refusal is shown in the dialog.
 */
export function ConfirmDelete(props: { id: string; title: string; text: string; confirm: string; cancel: string; remove: () => Promise<void>; onCancel: () => void }) {
  const ref = useRef<HTMLDivElement>(null);
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);
  useEffect(() => ref.current?.focus(), []);
  async function remove() {
    setBusy(true);
    setError(null);
    try {
      await props.remove();
    } catch (err) {
      setError(explain(err));
      setBusy(false);
    }
  }
  return (
    <div ref={ref} className="panel" role="alertdialog" aria-labelledby={`${props.id}-title`} aria-describedby={`${props.id}-text`} tabIndex={-1}>
      <h2 id={`${props.id}-title`}>{props.title}</h2>
      <p id={`${props.id}-text`}>{props.text}</p>
      <ErrorText text={error} />
      <p className="actions">
        <button type="button" className="danger" disabled={busy} onClick={() => void remove()}>
          {props.confirm}
        </button>
        <button type="button" className="secondary" disabled={busy} onClick={props.onCancel}>
          {props.cancel}
        </button>
      </p>
    </div>
  );
}
