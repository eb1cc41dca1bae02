/**
 * The invitation e-mail for new staff. Plain text: the link is the message. Staff have not chosen
 * a language yet, so it is written in English.
 */
export function invitationMail(team: string, role: string, url: string, hours: number) {
  return {
    language: "en",
    subject: `You are invited to the ${team} helpdesk`,
    text: `Hello,\n\nYou are invited to join the ${team} helpdesk as ${role === "light-agent" ? "a light agent" : role === "admin" ? "an admin" : "an agent"}. Open this link to choose your password and sign in:\n\n${url}\n\nThe link works once and expires in ${hours} hours. If you do not expect this invitation, ignore this message.\n`,
  };
}
