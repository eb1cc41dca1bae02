/**
 * Payment card numbers in free text: found by the Luhn check, masked to their last four digits.
 * Used on every way text comes in (the conversation writer, inbound mail) before anything is
 * stored, indexed or mailed, and again on what notifications carry.
 */

/** Invisible characters dropped before anything else (they would split a number without showing). */
const INVISIBLE = /[\u00ad\u180e\u200b-\u200f\u202a-\u202e\u2060-\u2064\ufeff]/gu;

/**
 * Card numbers become `**** **** **** 1234`.
 * The text is NFKC-normalized first (full-width digits are digits) and invisible characters are
 * dropped. Within every run of digits separated by at most three spaces, dots, dashes or slashes,
 * each window of 13 to 19 digits that passes the Luhn check is a card: written next to a CVV, an
 * expiry or a quantity, it is still found. The group of up to four digits right after a card (its
 * CVV) is masked too. A number that merely passes the Luhn check is masked as well: better a
 * masked order number than a card at rest or in a mailbox.
 */
export function maskCardNumbers(input: string): string {
  const text = input.normalize("NFKC").replace(INVISIBLE, "");
  let out = "";
  let last = 0;
  for (const run of text.matchAll(/\d(?:[\s.\-\u00a0\u2007\u202f\/]{0,3}\d)*/gu)) {
    const raw = run[0];
    const at = run.index!;
    const positions: number[] = [];
    for (let i = 0; i < raw.length; i++) if (raw[i]! >= "0" && raw[i]! <= "9") positions.push(i);
    if (positions.length < 13) continue;
    const digits = positions.map((p) => raw[p]!).join("");
    /** Whether digits i-1 and i are written together (no separator between them). */
    const together = (i: number) => positions[i]! === positions[i - 1]! + 1;
    const hidden = new Set<number>();
    for (let start = 0; start + 13 <= digits.length; ) {
      let len = 19;
      while (len >= 13 && (start + len > digits.length || !luhn(digits.slice(start, start + len)))) len--;
      if (len < 13) {
        start++;
        continue;
      }
      for (let k = start; k < start + len - 4; k++) hidden.add(k);
      // The CVV: a group of up to four digits right after the card.
      let end = start + len;
      if (end < digits.length) {
        let groupEnd = end + 1;
        while (groupEnd < digits.length && together(groupEnd)) groupEnd++;
        if (groupEnd - end <= 4) {
          for (let k = end; k < groupEnd; k++) hidden.add(k);
          end = groupEnd;
        }
      }
      start = end;
    }
    if (hidden.size === 0) continue;
    let masked = "";
    let cursor = 0;
    for (let i = 0; i < positions.length; i++) {
      masked += raw.slice(cursor, positions[i]!) + (hidden.has(i) ? "*" : raw[positions[i]!]!);
      cursor = positions[i]! + 1;
    }
    out += text.slice(last, at) + masked + raw.slice(cursor);
    last = at + raw.length;
  }
  return out + text.slice(last);
}

function luhn(digits: string): boolean {
  let sum = 0;
  for (let i = 0; i < digits.length; i++) {
    let d = digits.charCodeAt(digits.length - 1 - i) - 48;
    if (i % 2 === 1) {
      d *= 2;
      if (d > 9) d -= 9;
    }
    sum += d;
  }
  return sum % 10 === 0;
}

/**
 * The text to store: `input` itself when it holds no card number (not even normalized), else the
 * masked text (NFKC-normalized, invisible characters dropped, as maskCardNumbers gives it).
 */
export function redactCardNumbers(input: string): string {
  const masked = maskCardNumbers(input);
  return masked === input.normalize("NFKC").replace(INVISIBLE, "") ? input : masked;
}

/** Whether a text holds something maskCardNumbers masks. */
export const holdsCardNumber = (input: string): boolean => redactCardNumbers(input) !== input;
