import type { HighlightPart } from "../api-schema.ts";

/**
 * A search snippet's parts as text, the query's matches in <mark>. The parts are plain text from
 * the server and are rendered as React text nodes only (never as HTML), so markup a ticket holds
 * shows as the characters it is.
 */
export function Highlighted(props: { parts: readonly HighlightPart[] }) {
  return (
    <>
      {props.parts.map((p, i) => (p.match ? <mark key={i}>{p.text}</mark> : <span key={i}>{p.text}</span>))}
    </>
  );
}
