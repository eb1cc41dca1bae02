import { cloneElement, type ReactElement } from "react";

/**
 * A labelled form control. The label is tied to the control by id, and the help text by
 * aria-describedby, so screen readers read both.
 */
export function Field(props: { id: string; label: string; help?: string | undefined; children: ReactElement<Record<string, unknown>> }) {
  const helpId = props.help ? `${props.id}-help` : undefined;
  return (
    <div className="field">
      <label htmlFor={props.id}>{props.label}</label>
      {cloneElement(props.children, { id: props.id, ...(helpId ? { "aria-describedby": helpId } : {}) })}
      {props.help ? (
        <p className="help" id={helpId}>
          {props.help}
        </p>
      ) : null}
    </div>
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
