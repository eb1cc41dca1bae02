/** English for restriction of processing (the banner, the People page's panel). Part of the reference catalog. */
export const enPrivacy = {
  "privacy.restrictedBanner": "Processing restricted since {when} — {reason}",
  "privacy.restrictedHelp": "No automated mail goes to this person. Do only what they agreed to or the law requires.",
  "privacy.restriction": "Restriction of processing",
  "privacy.restrictionIntro": "When a person contests their data, objects to its processing or needs it kept for a claim, restrict processing: their data stays, they get no automated mail, and staff see this banner.",
  "privacy.reason": "Reason",
  "privacy.restrict": "Restrict processing",
  "privacy.updateReason": "Save the reason",
  "privacy.lift": "Lift the restriction",
  "privacy.restricted": "Processing restricted.",
  "privacy.lifted": "Restriction lifted.",
  "privacy.restrictedMark": "Restricted",
} as const;
