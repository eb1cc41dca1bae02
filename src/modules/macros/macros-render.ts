import { Liquid, type FS } from "liquidjs";
import type { TenantTx } from "../../platform/db/database.ts";

/**
 * Placeholders in a macro's reply and subject and in a business rule's mail (Liquid, with
 * liquidjs). A template never reads a file: `include`, `render` and `layout` are refused when the
 * template is parsed (on save), and the file system liquidjs is given refuses every file besides.
 * Parsing, rendering and the memory a render may take are bounded, and so is the time all the
 * renders of one transaction take together (RENDER_BUDGET_MS); a render that fails or passes a
 * bound gives an empty text.
 *
 * Renders are synchronous: liquidjs's time limit is read on the wall clock, and an asynchronous
 * render let the server's other requests run between its steps, so that on a busy server a
 * template of a few steps passed its limit and rendered empty. A synchronous one counts only its
 * own work (and the process's pauses), and blocks the process no longer than its limit.
 */

const NO_FILES = "Macros read no files";
const refusingFs: FS = {
  exists: async () => false,
  existsSync: () => false,
  readFile: async () => {
    throw new Error(NO_FILES);
  },
  readFileSync: () => {
    throw new Error(NO_FILES);
  },
  resolve: (_dir, file) => file,
  contains: async () => false,
  containsSync: () => false,
};

/** Longest template liquidjs parses, in characters (a reply's limit and some). */
const PARSE_LIMIT = 70_000;
/**
 * Longest one render may take, in milliseconds. A macro's placeholders render in well under one;
 * the bound is for a template written to spin (loops nested to a million steps, within the memory
 * limit), which staff can send over and over (a macro's two texts: 200 ms of the process a request
 * at most). It leaves room for a pause of the process (garbage collection, a loaded machine): a
 * render of a few steps once overran 50 ms, though then asynchronous (below).
 */
export const RENDER_LIMIT_MS = 100;
/**
 * Most time the renders of one transaction take together, in milliseconds: a write's rule mail
 * renders up to 2 texts for each of RULE_MAILS_PER_WRITE mails, which at the limit of each would
 * hold the transaction for 20 s. Once it is spent, the transaction's other renders give empty texts
 * (a rule mail with neither is not sent).
 */
export const RENDER_BUDGET_MS = 500;
/** Most memory a render may allocate, as liquidjs counts it (string lengths, array sizes). */
const MEMORY_LIMIT = 1_000_000;
/** Longest rendered text kept (a comment's limit). */
export const MAX_RENDERED = 65_536;

const engine = new Liquid({
  fs: refusingFs,
  relativeReference: false,
  dynamicPartials: false,
  cache: false,
  ownPropertyOnly: true,
  strictFilters: true,
  strictVariables: false,
  parseLimit: PARSE_LIMIT,
  renderLimit: RENDER_LIMIT_MS,
  memoryLimit: MEMORY_LIMIT,
});
for (const name of ["include", "render", "layout"]) {
  engine.registerTag(name, {
    parse() {
      throw new Error(`the {% ${name} %} tag is not allowed in macros`);
    },
    render() {
      return "";
    },
  });
}

/** Undefined when `template` parses, else why not (a sentence without the template's text). */
export function templateProblem(template: string): string | undefined {
  try {
    engine.parse(template);
    return undefined;
  } catch (e) {
    const m = e instanceof Error ? e.message.split("\n")[0]!.slice(0, 200) : "invalid";
    return m.includes("not allowed in macros") ? m.replace(/^.*?(the \{% \w+ %\} tag is not allowed in macros).*$/, "$1") : "a placeholder (Liquid) does not parse";
  }
}

/** What is left of a transaction's render time (RENDER_BUDGET_MS). */
export type RenderBudget = { leftMs: number };
const BUDGET = "liquid.budget";

/** The render time `tx` has left, shared by every render of the transaction. */
export function renderBudget(tx: TenantTx): RenderBudget {
  let b = tx.bag.get(BUDGET) as RenderBudget | undefined;
  if (!b) tx.bag.set(BUDGET, (b = { leftMs: RENDER_BUDGET_MS }));
  return b;
}

/**
 * `template` rendered with `context` within RENDER_LIMIT_MS and what is left of `budget` (which it
 * spends): empty when it fails, passes a limit, or the budget is spent.
 */
export function renderTemplate(template: string, context: Record<string, unknown>, budget: RenderBudget): string {
  if (budget.leftMs <= 0) return "";
  const start = performance.now();
  try {
    const out: unknown = engine.parseAndRenderSync(template, context, { renderLimit: Math.min(RENDER_LIMIT_MS, budget.leftMs) });
    return typeof out === "string" ? out.slice(0, MAX_RENDERED) : "";
  } catch {
    return "";
  } finally {
    budget.leftMs -= performance.now() - start;
  }
}
