/**
 * English for the admin center's Triggers page: its own words (those of the list and the editor it
 * shares with Automations are in en-rules.ts). Part of the reference catalog (spread into `en`).
 */
export const enTriggers = {
  "triggers.nav": "Triggers",
  "triggers.title": "Triggers",
  "triggers.intro": "A trigger changes a ticket right after it is created or updated, when its conditions hold. Active triggers are checked from the top of this list; each one runs at most once per update.",
  "triggers.loading": "Loading triggers…",
  "triggers.none": "There are no triggers yet.",
  "triggers.new": "New trigger",
  "triggers.newTitle": "New trigger",
  "triggers.editTitle": "Edit the trigger “{title}”",
  "triggers.editNamed": "Edit the trigger “{title}”",
  "triggers.deleteNamed": "Delete the trigger “{title}”",
  "triggers.deleteTitle": "Delete the trigger “{title}”?",
  "triggers.deleteText": "The trigger no longer runs. Tickets it has already changed stay as they are.",
  "triggers.deleteConfirm": "Delete the trigger",
  "triggers.deleted": "The trigger “{title}” was deleted.",
  "triggers.created": "The trigger “{title}” was created.",
  "triggers.updated": "The trigger “{title}” was saved.",
  "triggers.activated": "The trigger “{title}” is now active.",
  "triggers.deactivated": "The trigger “{title}” is now inactive.",
  "triggers.create": "Create trigger",
  "triggers.refused": "The trigger was not saved: see the messages above.",
  "triggers.form.activeHelp": "Only active triggers run.",
} as const;
