import { mailLanguage } from "../../platform/mail-language.ts";

/**
 * The e-mail to every owner and admin when the account is closed: that it was closed, when, and
 * when its data will be deleted. Content-free: no ticket, person or other data of the account,
 * and no link (nothing on the account's address answers any more). Plain text, dates in UTC.
 */
type Texts = { subject: (team: string) => string; text: (team: string, closed: string, deletes: string) => string };

const texts: Record<string, Texts> = {
  en: {
    subject: (team) => `Your helpdesk account ${team} was closed`,
    text: (team, closed, deletes) =>
      `Hello,\n\nThe helpdesk account ${team} was closed by its owner on ${closed}. Its help center, workspace, API and sign-in no longer answer, and mail to its support addresses is refused.\n\nAll of its data will be deleted for good on ${deletes}. Until then, the owner can ask the service's operator to reopen it.\n\nIf you did not expect this, contact the account's owner.\n`,
  },
};

const day = (d: Date) => `${d.toISOString().slice(0, 16).replace("T", " ")} UTC`;

export function accountClosedMail(locale: string | null | undefined, team: string, closedAt: Date, deletesAt: Date) {
  const language = mailLanguage(locale, Object.keys(texts));
  const t = texts[language]!;
  return { language, subject: t.subject(team), text: t.text(team, day(closedAt), day(deletesAt)) };
}
