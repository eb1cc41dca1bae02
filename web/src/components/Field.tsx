import { cloneElement, type ReactElement } from "react";

/**
 * A labelled form control. The label is tied to the control by id, and the help text (shown
 * before anything is typed) and the field's error by aria-describedby, so screen readers read
 * them; with an error the control is marked invalid.
 */
export function Field(props: { id: string; label: string; help?: string | undefined; error?: string | null | undefined; children: ReactElement<Record<string, unknown>> }) {
  const helpId = props.help ? `${props.id}-help` : undefined;
  const errorId = props.error ? `${props.id}-error` : undefined;
  const describedBy = [helpId, errorId].filter(Boolean).join(" ");
  return (
    <div className="field">
      <label htmlFor={props.id}>{props.label}</label>
      {cloneElement(props.children, { id: props.id, ...(describedBy ? { "aria-describedby": describedBy } : {}), ...(errorId ? { "aria-invalid": true } : {}) })}
      {props.help ? (
        <p className="help" id={helpId}>
          {props.help}
        </p>
      ) : null}
      {props.error ? (
        <p className="error" id={errorId} role="alert">
          {props.error}
        </p>
      ) : null}
    </div>
  );
}

/**
 * A labelled checkbox, its label around it, with an optional help text below it that screen
 * readers read with it (aria-describedby `${id}-help`).
 */
export function CheckField(props: { id: string; label: string; checked: boolean; onChange: (checked: boolean) => void; help?: string | undefined }) {
  const helpId = props.help ? `${props.id}-help` : undefined;
  return (
    <>
      <label className="check">
        <input type="checkbox" id={props.id} checked={props.checked} onChange={(e) => props.onChange(e.target.checked)} {...(helpId ? { "aria-describedby": helpId } : {})} /> {props.label}
      </label>
      {props.help ? (
        <p className="help" id={helpId}>
          {props.help}
        </p>
      ) : null}
    </>
  );
}

/** An error the person must read: announced at once by screen readers. */
export function ErrorText(props: { text: string | null }) {
  return props.text ? (
    <p className="error" role="alert">
      {props.text}
    </p>
  ) : null;
}

/** A polite status message (saved, signed out…). Always rendered so that changes are announced. */
export function StatusText(props: { text: string | null }) {
  return (
    <p className="status-text" role="status">
      {props.text ?? ""}
    </p>
  );
}
