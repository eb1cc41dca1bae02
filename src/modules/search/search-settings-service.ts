import { algorithms } from "snowball-stemmers";
import { actorUser, type RequestContext } from "../../platform/context.ts";
import { forbidden, invalid } from "../../platform/errors.ts";
import type { JobStatusView } from "../../platform/jobs/jobs.ts";
import { adminPolicy } from "../admin/admin-policy.ts";
import { audit } from "../audit/audit-service.ts";
import { latestReindex, requestReindex } from "./search-reindex-service.ts";
import * as repo from "./search-repo.ts";
import { DEFAULT_LANGUAGES, SCRIPT_OF } from "./search-text.ts";

/**
 * The tenant's search settings (admins only): the Snowball algorithms its text is stemmed with.
 * A change is audited and starts a rebuild of the index (search-reindex-service.ts); until it
 * ends, tickets it has not reached yet match as they were indexed.
 */

/** Every algorithm the stemmer package offers, in its order. */
export const AVAILABLE_LANGUAGES: readonly string[] = algorithms();

const isLatin = (language: string) => (SCRIPT_OF[language] ?? "latin") === "latin";

export type SearchSettingsView = { languages: string[]; available_languages: string[]; reindex: JobStatusView | null };

/** Checks a list of languages and answers it without repeats (422 when it cannot be used). */
export function checkLanguages(languages: readonly string[]): string[] {
  const unknown = languages.filter((l) => !AVAILABLE_LANGUAGES.includes(l));
  if (unknown.length) throw invalid("languages", `unknown languages: ${unknown.slice(0, 5).join(", ")} (choose from ${AVAILABLE_LANGUAGES.join(", ")})`);
  const list = [...new Set(languages)];
  if (list.length === 0) throw invalid("languages", "choose at least one language");
  if (!list.some(isLatin)) throw invalid("languages", "choose at least one language written in the Latin script (for example english)");
  return list;
}

async function view(ctx: RequestContext): Promise<SearchSettingsView> {
  return { languages: (await repo.findLanguages(ctx.tx, false)) ?? [...DEFAULT_LANGUAGES], available_languages: [...AVAILABLE_LANGUAGES], reindex: (await latestReindex(ctx)) ?? null };
}

export async function showSearchSettings(ctx: RequestContext): Promise<SearchSettingsView> {
  if (!adminPolicy.manage(actorUser(ctx))) throw forbidden();
  return view(ctx);
}

/** Transaction bag key: the transaction changed the tenant's languages (this process's cache forgets them at commit). */
export const LANGUAGES_CHANGED = "search.languages_changed";

/**
 * Sets the languages (audited). A change waits for the conversation writes in flight (they hold
 * the settings row FOR SHARE) and starts the rebuild, or starts the running one over. The order
 * of the list does not matter to the stems: the same languages in another order start nothing.
 */
export async function updateSearchSettings(ctx: RequestContext, input: { languages: readonly string[] }): Promise<SearchSettingsView> {
  const actor = actorUser(ctx);
  if (!adminPolicy.manage(actor)) throw forbidden();
  const languages = checkLanguages(input.languages);
  // Locks in the order every rebuild and write takes them (search-repo.ts lockReindexRequests):
  // the tenant's request lock, the job's row (requestReindex), then the settings row.
  await repo.lockReindexRequests(ctx.tx);
  const was = new Set((await repo.findLanguages(ctx.tx, false)) ?? DEFAULT_LANGUAGES);
  const changed = was.size !== languages.length || languages.some((l) => !was.has(l));
  if (changed) await requestReindex(ctx, { reason: "languages", restart: true, createdBy: actor.userId });
  await repo.storeLanguages(ctx.tx, languages);
  audit(ctx, { action: "search_settings.updated", resourceType: "search_settings", resourceId: "search_settings", fields: ["languages"] });
  if (changed) ctx.tx.bag.set(LANGUAGES_CHANGED, true);
  return view(ctx);
}

/** Makes a new tenant's settings row (tenant creation), with the default languages. */
export async function initSearchSettings(ctx: RequestContext): Promise<void> {
  await repo.initLanguages(ctx.tx, DEFAULT_LANGUAGES);
}
