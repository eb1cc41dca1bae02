/** English for the admin center's Data exports section (on the Data retention page). Part of the reference catalog. */
export const enExports = {
  "exports.title": "Data exports",
  "exports.intro": "Export the account's tickets, people or organizations as CSV or JSON. The file is prepared in the background and stored encrypted; its download link works once, for 24 hours, for you only.",
  "exports.resource": "What",
  "exports.tickets": "Tickets",
  "exports.users": "People",
  "exports.organizations": "Organizations",
  "exports.format": "Format",
  "exports.since": "Updated since (optional)",
  "exports.until": "Updated before (optional)",
  "exports.start": "Prepare export",
  "exports.working": "Preparing: {count} rows so far…",
  "exports.ready": "Ready: {count} rows.",
  "exports.download": "Download (once)",
  "exports.gone": "This export was downloaded or has expired.",
  "exports.failed": "The export could not be prepared.",
} as const;
