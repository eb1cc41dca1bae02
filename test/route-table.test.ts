import fs from "node:fs";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { registeredRoutes } from "../src/platform/http/route.ts";
import { startTestApp, type TestApp } from "./support/harness.ts";

/** Every URL belongs to one module: the route table in docs/architecture.md, checked against the routes the app registers. */

let t: TestApp;
beforeAll(async () => {
  t = await startTestApp();
});
afterAll(async () => t?.close());

function routeTable(): Array<{ prefix: string; module: string }> {
  const doc = fs.readFileSync("docs/architecture.md", "utf8");
  const section = doc.slice(doc.indexOf("## Route table"), doc.indexOf("\n## ", doc.indexOf("## Route table") + 5));
  // A row may name a nested path (`/api/v2/organizations/:id/requests`, `/api/v2/users/me/data_subject_requests`): the longest matching row wins.
  return [...section.matchAll(/^\| `(\/(?:api\/v2|access|oauth)\/[a-z_]+(?:\/(?::id|me)\/[a-z_]+)?)` \| ([a-z-]+) \|$/gm)]
    .map((m) => ({ prefix: m[1]!, module: m[2]! }))
    .sort((x, y) => y.prefix.length - x.prefix.length);
}

describe("route table", () => {
  it("maps every registered route to the module that registers it, and lists no path nobody serves", () => {
    const table = routeTable();
    expect(table.length).toBeGreaterThan(10);
    const routes = [...new Map(registeredRoutes.map((r) => [`${r.method} ${r.url}`, r])).values()];
    const wrong: string[] = [];
    const used = new Set<string>();
    for (const r of routes) {
      const row = table.find((x) => r.url === x.prefix || r.url.startsWith(`${x.prefix}/`));
      if (!row) wrong.push(`${r.method} ${r.url}: not in the table`);
      else if (row.module !== r.module) wrong.push(`${r.method} ${r.url}: registered by ${r.module}, the table says ${row.module}`);
      else used.add(row.prefix);
    }
    expect(wrong).toEqual([]);
    expect(table.filter((x) => !used.has(x.prefix)).map((x) => x.prefix)).toEqual([]);
  });
});
