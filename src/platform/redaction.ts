import { electronicFormatIBAN, isValidIBAN } from "ibantools";
import { stdnum, type Validator } from "stdnum";
import { maskCardNumbers } from "./card-numbers.ts";

/**
 * Automatic redaction: the one masking step every way text comes in takes (the conversation
 * writer's subjects and comments, custom text values, renamed subjects, inbound mail held as
 * suspended), and notifications take again on what they carry. Card numbers are always masked
 * (platform/card-numbers.ts); a tenant may add detectors (`redaction_settings`, modules/privacy):
 *  - IBANs whose ISO 13616 checksum passes (ibantools), written with or without spaces;
 *  - national identity numbers of the countries it lists, each validated by the `stdnum` library
 *    (dates, check digits, component rules): a candidate the library refuses stays as written.
 * What is found keeps its last four letters or digits visible, like a card; the others become
 * `*`, separators stay (`SE** **** **** **** **** 7466`, `******-9805`).
 */

/** The national identity numbers a tenant may have masked, by country (ISO 3166-1 alpha-2). */
export const NATIONAL_ID_COUNTRIES = ["SE", "DK", "FI", "NO", "US"] as const;
export type NationalIdCountry = (typeof NATIONAL_ID_COUNTRIES)[number];

/** Which detectors a tenant has on, beside card numbers. */
export type Detectors = { readonly iban: boolean; readonly nationalIds: readonly NationalIdCountry[] };
/** Card numbers only (the default, and text of no tenant). */
export const CARDS_ONLY: Detectors = Object.freeze({ iban: false, nationalIds: Object.freeze([]) });

/** Invisible characters dropped before anything else (as card-numbers.ts does). */
const INVISIBLE = /[\u00ad\u180e\u200b-\u200f\u202a-\u202e\u2060-\u2064\ufeff]/gu;
const normalized = (s: string) => s.normalize("NFKC").replace(INVISIBLE, "");

/** A validator of the library, looked up once (a missing one is a broken install: fail at start). */
function validator(country: string, name: string): Validator {
  const v = stdnum[country]?.[name];
  if (!v) throw new Error(`stdnum: no ${country}.${name} validator`);
  return v;
}
const SE_PNR = validator("SE", "personnummer");
const DK_CPR = validator("DK", "cpr");
const FI_HETU = validator("FI", "hetu");
const NO_FNR = validator("NO", "fodselsnummer");
const US_SSN = validator("US", "ssn");

type Finder = { pattern: RegExp; valid: (candidate: string) => boolean };

// Boundaries: no letter or digit right before or after a candidate (a number inside a longer one is none).
const B = "(?<![\\p{L}\\p{N}])";
const E = "(?![\\p{L}\\p{N}])";

/**
 * Candidates per country: the written forms people use, then the library decides. The Swedish
 * library form needs its separator before the last four digits; one is put there for the check.
 */
const NATIONAL: Record<NationalIdCountry, Finder> = {
  // Personnummer and samordningsnummer (day + 60): YYMMDD-NNNN, YYMMDD+NNNN, YYYYMMDD-NNNN, and without the separator.
  SE: { pattern: new RegExp(`${B}(?:\\d{2})?\\d{6}[-+]?\\d{4}${E}`, "gu"), valid: (c) => SE_PNR.validate(/[-+]/.test(c) ? c : `${c.slice(0, -4)}-${c.slice(-4)}`).isValid },
  // CPR-nummer: DDMMYY-SSSS or ten digits.
  DK: { pattern: new RegExp(`${B}\\d{6}-?\\d{4}${E}`, "gu"), valid: (c) => DK_CPR.validate(c).isValid },
  // Henkilötunnus: DDMMYY, the century sign, three digits and the check character.
  FI: { pattern: new RegExp(`${B}\\d{6}[-+A-FU-Y]\\d{3}[0-9A-Y]${E}`, "giu"), valid: (c) => FI_HETU.validate(c.toUpperCase()).isValid },
  // Fødselsnummer (and D-nummer): eleven digits, or DDMMYY and the five others apart.
  NO: { pattern: new RegExp(`${B}\\d{6} ?\\d{5}${E}`, "gu"), valid: (c) => NO_FNR.validate(c).isValid },
  // Social Security number in its written form AAA-GG-SSSS (or with spaces); nine bare digits are
  // too common (order numbers) to be taken for one. The library applies the format rules (no 000,
  // 666 or 9xx area, no 00 group, no 0000 serial).
  US: { pattern: new RegExp(`${B}\\d{3}([- ])\\d{2}\\1\\d{4}${E}`, "gu"), valid: (c) => US_SSN.validate(c.replace(/ /g, "-")).isValid },
};

/** An IBAN as written: two letters, two check digits, then 11 to 30 letters or digits, in groups or not. */
const IBAN = new RegExp(`${B}[A-Z]{2}\\d{2}(?: ?[A-Z0-9]){11,30}`, "giu");

/** Replaces every letter and digit of `s` but the last four with `*`. */
function maskKeepingLastFour(s: string): string {
  let keep = 4;
  const out: string[] = [];
  for (const ch of [...s].reverse()) {
    if (/[\p{L}\p{N}]/u.test(ch)) out.push(keep-- > 0 ? ch : "*");
    else out.push(ch);
  }
  return out.reverse().join("");
}

/**
 * IBANs: a match may run on into the next word ("…7466 thanks"), so the longest prefix (ending on
 * a letter or digit at a boundary) whose checksum passes is the IBAN.
 */
function maskIbans(text: string): string {
  return text.replace(IBAN, (m: string) => {
    for (let end = m.length; end >= 15; end--) {
      const candidate = m.slice(0, end);
      if (candidate.endsWith(" ")) continue;
      const next = m[end];
      if (next !== undefined && next !== " ") continue;
      const electronic = electronicFormatIBAN(candidate);
      if (electronic && isValidIBAN(electronic)) return maskKeepingLastFour(candidate) + m.slice(end);
    }
    return m;
  });
}

function maskNationalIds(text: string, countries: readonly NationalIdCountry[]): string {
  let out = text;
  for (const country of countries) {
    const f = NATIONAL[country];
    out = out.replace(f.pattern, (m: string) => (f.valid(m) ? maskKeepingLastFour(m) : m));
  }
  return out;
}

/**
 * The masking step: IBANs and national ids first (when on), then card numbers, on the
 * NFKC-normalized text without invisible characters (what maskCardNumbers does to any text).
 */
export function maskSensitive(input: string, detectors: Detectors): string {
  let text = normalized(input);
  if (detectors.iban) text = maskIbans(text);
  if (detectors.nationalIds.length) text = maskNationalIds(text, detectors.nationalIds);
  return maskCardNumbers(text);
}

/**
 * The text to store: `input` itself when nothing in it is masked (not even normalized), else the
 * masked text.
 */
export function redactSensitive(input: string, detectors: Detectors): string {
  const masked = maskSensitive(input, detectors);
  return masked === normalized(input) ? input : masked;
}

/** Whether a text holds something maskSensitive masks. */
export const holdsSensitive = (input: string, detectors: Detectors): boolean => redactSensitive(input, detectors) !== input;
