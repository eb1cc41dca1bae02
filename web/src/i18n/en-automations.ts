/**
 * English for the admin center's Automations page: its own words (those of the list and the editor
 * it shares with Triggers are in en-rules.ts). Part of the reference catalog (spread into `en`).
 */
export const enAutomations = {
  "automations.nav": "Automations",
  "automations.title": "Automations",
  "automations.intro": "An automation changes tickets once time has passed, such as 48 hours after a ticket became pending. Every hour, active automations are checked from the top of this list against the tickets that are not closed. Each needs a condition on hours, and an action that makes one of its ALL conditions false, so that it changes a ticket once.",
  "automations.loading": "Loading automations…",
  "automations.none": "There are no automations yet.",
  "automations.new": "New automation",
  "automations.newTitle": "New automation",
  "automations.editTitle": "Edit the automation “{title}”",
  "automations.editNamed": "Edit the automation “{title}”",
  "automations.deleteNamed": "Delete the automation “{title}”",
  "automations.deleteTitle": "Delete the automation “{title}”?",
  "automations.deleteText": "The automation no longer runs. Tickets it has already changed stay as they are.",
  "automations.deleteConfirm": "Delete the automation",
  "automations.deleted": "The automation “{title}” was deleted.",
  "automations.created": "The automation “{title}” was created.",
  "automations.updated": "The automation “{title}” was saved.",
  "automations.activated": "The automation “{title}” is now active.",
  "automations.deactivated": "The automation “{title}” is now inactive.",
  "automations.create": "Create automation",
  "automations.refused": "The automation was not saved: see the messages above.",
  "automations.form.activeHelp": "Only active automations run.",
} as const;
