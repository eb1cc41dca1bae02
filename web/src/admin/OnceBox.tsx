import { useState } from "react";
import { t } from "../i18n/index.ts";

/**
 * A secret shown once (an invitation link, an API token): read-only, selectable, with a copy
 * button. It lives in this component's state only, so it is gone when the page is left.
 */
export function OnceBox(props: { id: string; label: string; value: string; intro: string }) {
  const [copied, setCopied] = useState(false);
  return (
    <section className="once" aria-labelledby={`${props.id}-heading`}>
      <h2 id={`${props.id}-heading`}>{props.label}</h2>
      <p>{props.intro}</p>
      <label htmlFor={props.id} className="sr-only">
        {props.label}
      </label>
      <input id={props.id} readOnly value={props.value} onFocus={(e) => e.currentTarget.select()} />
      <p className="actions">
        <button
          type="button"
          className="secondary"
          onClick={() =>
            void navigator.clipboard?.writeText(props.value).then(
              () => setCopied(true),
              () => setCopied(false),
            )
          }
        >
          {t("admin.copy")}
        </button>
        <span role="status">{copied ? t("admin.copied") : ""}</span>
      </p>
    </section>
  );
}
