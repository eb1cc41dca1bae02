/**
 * The daily reminder to owners and admins about data subject requests near or past their due
 * date. Content-free on purpose: counts and a link to the admin center, never who asked or what.
 * Staff mail is written in English (like invitations).
 */
export function dsrReminderMail(counts: { overdue: number; dueSoon: number }, soonDays: number, url: string) {
  const lines = [
    counts.overdue > 0 ? `  Overdue: ${counts.overdue}` : null,
    counts.dueSoon > 0 ? `  Due within ${soonDays} days: ${counts.dueSoon}` : null,
  ].filter((l): l is string => l !== null);
  return {
    language: "en",
    subject: counts.overdue > 0 ? "Data subject requests are overdue" : "Data subject requests are due soon",
    text: `Hello,\n\nSome data subject requests in your helpdesk need an answer:\n\n${lines.join("\n")}\n\nOpen them in the admin center:\n\n${url}\n\nThis reminder is sent once a day while requests are overdue or due soon.\n`,
  };
}
