/** Every string the app shows goes through `t`. English is complete; other languages come next. */
const en = {
  "app.name": "Vaultdesk",
  "setup.title": "Set up Vaultdesk",
  "setup.intro": "Create the first account. The setup token is printed on the server's console.",
  "setup.token": "Setup token",
  "setup.team": "Team name",
  "setup.subdomain": "Subdomain",
  "setup.ownerName": "Your name",
  "setup.email": "Your e-mail address",
  "setup.password": "Password (at least 12 characters, letters with digits or symbols)",
  "setup.submit": "Create account",
  "setup.done": "Setup is finished. Sign in instead.",
  "signin.title": "Sign in",
  "signin.email": "E-mail address",
  "signin.password": "Password",
  "signin.submit": "Sign in",
  "signin.failed": "The e-mail address or password is not correct.",
  "nav.signout": "Sign out",
  "tickets.title": "Tickets",
  "tickets.empty": "No tickets yet.",
  "tickets.loading": "Loading…",
  "tickets.new": "New ticket",
  "tickets.subject": "Subject",
  "tickets.description": "Description",
  "tickets.create": "Create ticket",
  "tickets.status": "Status",
  "tickets.back": "All tickets",
  "ticket.reply": "Public reply",
  "ticket.note": "Internal note",
  "ticket.send": "Send",
  "ticket.noteLabel": "Internal note (only agents see it)",
  "ticket.replyLabel": "Public reply",
  "error.generic": "Something went wrong. Try again.",
} as const;

export type MessageKey = keyof typeof en;
export function t(key: MessageKey): string {
  return en[key];
}
