/** English for merging tickets on the agent's ticket page. Part of the reference catalog. */
export const enMerge = {
  "merge.open": "Merge into another ticket",
  "merge.title": "Merge into another ticket",
  "merge.intro": "This ticket will be closed with a note saying where it went. The other ticket gets a note quoting this one's latest comment. If requesters can see the merge notes, this ticket's requester and CCs are also copied on the other ticket: they can then read its public conversation in the help center.",
  "merge.targetLabel": "Ticket number to merge into",
  "merge.targetHelp": "The number of the ticket that stays open, without #.",
  "merge.find": "Find ticket",
  "merge.finding": "Looking…",
  "merge.notFound": "No open ticket #{id} that you can see.",
  "merge.self": "A ticket cannot be merged into itself.",
  "merge.closedTarget": "Ticket #{id} is closed: choose an open ticket.",
  "merge.confirmText": "Merge #{source} into #{id} “{subject}”? This cannot be undone.",
  "merge.public": "Requesters can see the merge notes",
  "merge.confirm": "Merge",
  "merge.working": "Merging…",
  "merge.cancel": "Cancel",
};
