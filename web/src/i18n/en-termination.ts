/** English for the Account page's "Close account" section (owners only). Part of the reference catalog. */
export const enTermination = {
  "termination.title": "Close account",
  "termination.intro": "Closing the account stops it at once: the workspace, the help center, the API and sign-in stop answering, mail to its support addresses is refused, and everyone is signed out and their API tokens revoked. Every owner and admin gets an e-mail saying so. While a legal hold is in force the account cannot be closed.",
  "termination.mode": "What happens to the data",
  "termination.grace": "Close, delete the data later.",
  "termination.graceHelp": "The data is kept, sealed as always and out of everyone's reach (nobody can sign in), for the grace period (90 days unless the service's operator set another), then destroyed. Until then the operator can reopen the account at your request.",
  "termination.now": "Close and destroy the data now.",
  "termination.nowHelp": "The account's encryption keys are deleted at once: every ticket, person, file and setting becomes unreadable for good, backups included. This cannot be undone.",
  "termination.confirm": "Type the account's subdomain ({subdomain}) to confirm",
  "termination.password": "Your password",
  "termination.submitGrace": "Close the account",
  "termination.submitNow": "Close the account and destroy its data",
  "termination.closed": "The account is closed. Its data will be deleted on {date}. You have been signed out.",
  "termination.shredded": "The account is closed and its data destroyed.",
} as const;
