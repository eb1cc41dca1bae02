import { Liquid, type FS } from "liquidjs";

/**
 * Placeholders in a macro's reply and subject (Liquid, with liquidjs). A template never reads a
 * file: `include`, `render` and `layout` are refused when the template is parsed (on save), and the
 * file system liquidjs is given refuses every file besides. Parsing, rendering and the memory a
 * render may take are bounded; a render that fails or passes a bound gives an empty text.
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
 * Longest a render may take, in milliseconds. A macro's placeholders render in well under one; the
 * bound is for a template written to spin (a loop of millions), which staff can send over and over.
 */
const RENDER_LIMIT_MS = 50;
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

/** `template` rendered with `context`: empty when it fails or passes a limit. */
export async function renderTemplate(template: string, context: Record<string, unknown>): Promise<string> {
  try {
    const out = await engine.parseAndRender(template, context);
    return typeof out === "string" ? out.slice(0, MAX_RENDERED) : "";
  } catch {
    return "";
  }
}
