/** English for the search languages (the admin center's account page). Part of the reference catalog. */
export const enSearch = {
  "searchLang.title": "Search languages",
  "searchLang.intro":
    "Search finds inflected forms of words (printer, printers) with a stemmer for each language chosen here. Choose the languages your tickets are written in: at least one written in the Latin alphabet. Fewer languages make search more precise; more find more.",
  "searchLang.legend": "Languages",
  "searchLang.save": "Save languages",
  "searchLang.saved": "Saved. The search index is being rebuilt with the new languages; until it is done, older tickets match as before.",
  "searchLang.rebuild": "Latest rebuild of the search index: {status}, {progress} of {total} tickets.",
} as const;
