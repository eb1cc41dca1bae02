import type { ReactNode } from "react";

export function Field(props: { id: string; label: string; children: ReactNode }) {
  return (
    <div className="field">
      <label htmlFor={props.id}>{props.label}</label>
      {props.children}
    </div>
  );
}

export function ErrorText(props: { text: string | null }) {
  return props.text ? (
    <p className="error" role="alert">
      {props.text}
    </p>
  ) : null;
}
