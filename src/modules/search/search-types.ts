import { z } from "zod";

/** A piece of a highlighted snippet: plain text (never markup), `match` where the query matched. */
const part = z.object({ text: z.string(), match: z.boolean() });

/**
 * Vaultdesk's extension on the hits of a text search (Zendesk's results have no snippet): the
 * subject, and an excerpt (about 200 characters, cut at word boundaries, `…` where cut) of the
 * comment the reader may see that matches best; `comment` is empty when only the subject matched.
 * Built from decrypted text when answering, never stored.
 */
export const highlightsView = z
  .object({ subject: z.array(part), comment: z.array(part) })
  .describe("Vaultdesk extension: the hit's subject and best-matching visible comment as plain-text parts, `match: true` where the query's words matched. Only on results of a search with words.");
