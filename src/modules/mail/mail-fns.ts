import sanitizeHtml from "sanitize-html";

/** Pure rules of inbound mail: loops and bounces, spam markers, authentication verdicts, HTML, blocklists. */

/** Header lookups as mailparser gives them (lower-case names). */
export type HeaderLookup = { get(name: string): unknown };

const headerText = (h: HeaderLookup, name: string): string => {
  const v = h.get(name);
  if (v === undefined || v === null) return "";
  if (typeof v === "string") return v;
  if (typeof v === "object" && "value" in (v as object)) return String((v as { value: unknown }).value ?? "");
  if (typeof v === "object" && "text" in (v as object)) return String((v as { text: unknown }).text ?? "");
  return String(v);
};

/**
 * Why a message must make no ticket and get no answer (mail loops and floods), or undefined:
 *  - `Auto-Submitted` other than `no` (RFC 3834: auto-replies, vacation notices, other helpdesks);
 *  - `Precedence: bulk | junk | list` (lists, newsletters, old-style auto-replies);
 *  - a delivery status notification (`multipart/report`) or the null return path `<>` (bounces).
 */
export function loopReason(h: HeaderLookup, contentType: string, mailFrom: string | null): "auto_submitted" | "bulk" | "bounce" | undefined {
  const auto = headerText(h, "auto-submitted").trim().toLowerCase();
  if (auto && !auto.startsWith("no")) return "auto_submitted";
  const precedence = headerText(h, "precedence").trim().toLowerCase();
  if (["bulk", "junk", "list"].includes(precedence)) return "bulk";
  if (/^multipart\/report\b/i.test(contentType.trim())) return "bounce";
  if (mailFrom === null || mailFrom === "" || mailFrom === "<>") return "bounce";
  const returnPath = headerText(h, "return-path").trim();
  if (returnPath === "<>") return "bounce";
  return undefined;
}

/** A spam filter upstream marked the message (`X-Spam-Flag: YES`, `X-Spam-Status: Yes, …`). */
export function spamMarked(h: HeaderLookup): boolean {
  return /^\s*yes\b/i.test(headerText(h, "x-spam-flag")) || /^\s*yes\b/i.test(headerText(h, "x-spam-status"));
}

export type AuthResults = { spf: string; dkim: string; dmarc: string; dkimDomains: string[] };

/**
 * What SPF, DKIM and DMARC say about the From address:
 *  - `fail`: DMARC failed, or SPF failed and no DKIM signature passed (suspend the message);
 *  - `pass`: DMARC passed (the From domain is proven; a staff address may write as staff);
 *  - `unproven`: neither (no DMARC policy, or a temporary error): the sender writes as an
 *    unproven end user, as from a web form.
 */
export function authVerdict(r: AuthResults): "pass" | "fail" | "unproven" {
  if (r.dmarc === "fail") return "fail";
  if ((r.spf === "fail" || r.spf === "softfail") && r.dkim !== "pass") return "fail";
  if (r.dmarc === "pass") return "pass";
  return "unproven";
}

/** A subject on one line: line breaks and control characters (decoded encoded-words) become spaces. */
export function singleLine(s: string, max = 255): string {
  // eslint-disable-next-line no-control-regex
  return s.replace(/[\u0000-\u001f\u007f\u2028\u2029]+/g, " ").replace(/\s+/g, " ").trim().slice(0, max);
}

/** Text bodies without NUL and with at most `max` characters. */
export function boundedText(s: string, max = 65_000): string {
  // eslint-disable-next-line no-control-regex
  return s.replace(/\u0000/g, "").slice(0, max).replace(/\s+$/, "");
}

/**
 * A mail's HTML made safe before the comment writer's own sanitizing: images are replaced by a
 * text marker (no remote image, tracking pixel or `cid:` reference reaches an agent's browser),
 * styles, scripts and forms go, and only the comment allowlist's tags survive later.
 */
export function sanitizeMailHtml(html: string): string {
  return sanitizeHtml(html.slice(0, 1_000_000), {
    allowedTags: ["p", "br", "b", "strong", "i", "em", "u", "s", "a", "ul", "ol", "li", "blockquote", "code", "pre", "h1", "h2", "h3", "h4", "hr", "table", "thead", "tbody", "tr", "th", "td", "span", "div"],
    allowedAttributes: { a: ["href", "title"] },
    allowedSchemes: ["http", "https", "mailto"],
    disallowedTagsMode: "discard",
    transformTags: {
      img: (_tag, attribs) => ({ tagName: "span", attribs: {}, text: attribs.alt ? `[image: ${attribs.alt.slice(0, 200)}]` : "[image]" }),
    },
  });
}

/** An address compared in lower case (local parts are case-insensitive in practice). */
export const normalizeAddress = (a: string): string => a.trim().toLowerCase();

/** The address without a `+tag` in its local part (support+123-abc@… is support@…). */
export function withoutTag(a: string): string {
  const at = a.lastIndexOf("@");
  if (at < 0) return a;
  const local = a.slice(0, at);
  const plus = local.indexOf("+");
  return (plus >= 0 ? local.slice(0, plus) : local) + a.slice(at);
}

/** Whether the blocklist (addresses, or domains written `@example.com` or `example.com`) names the sender. */
export function isBlocked(blocklist: readonly string[], sender: string): boolean {
  const s = normalizeAddress(sender);
  const domain = s.slice(s.lastIndexOf("@") + 1);
  return blocklist.some((entry) => {
    const e = normalizeAddress(entry);
    if (e.includes("@") && !e.startsWith("@")) return e === s;
    const d = e.replace(/^@/, "");
    return domain === d || domain.endsWith(`.${d}`);
  });
}

/** A plausible e-mail address (what mail headers may name as a person). */
export const plausibleAddress = (a: string): boolean => a.length <= 254 && /^[^\s@<>()[\]\\,;:"]+@[A-Za-z0-9-]+(\.[A-Za-z0-9-]+)+$/.test(a);
