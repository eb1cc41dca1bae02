#!/usr/bin/env node
// Security suites cannot be skipped: a test that is skipped, focused or left to do — statically
// (.skip / .only / .todo, xit, { skip: true }) or on a condition (.skipIf / .runIf, a context's
// skip()) — fails the check. A test that needs something the machine lacks fails, saying what.
import fs from "node:fs";
import path from "node:path";

const roots = ["test", "src"];
const rules = [
  // it.skip, describe.only, test.todo, it.concurrent.skip, describe.skipIf(…), it.runIf(…), bench.skip …
  [/\b(it|test|describe|suite|bench)(\.\w+)*\.(skip|only|todo|skipIf|runIf)\b/, "skipped, focused or conditional test"],
  [/\bx(it|describe|test)\s*\(/, "skipped test (x-prefix)"],
  [/\b(ctx|context|t|task)\.skip\s*\(/, "test skipped at run time"],
  [/[{,]\s*(skip|todo|only)\s*:\s*(true|!|[A-Za-z_(])/, "test option that skips or focuses"],
];
const bad = [];
function walk(dir) {
  for (const e of fs.readdirSync(dir, { withFileTypes: true })) {
    const p = path.join(dir, e.name);
    if (e.isDirectory()) walk(p);
    else if (/\.test\.tsx?$/.test(e.name)) {
      fs.readFileSync(p, "utf8").split("\n").forEach((line, i) => {
        for (const [re, what] of rules) if (re.test(line)) bad.push(`${p}:${i + 1}: ${what}: ${line.trim()}`);
      });
    }
  }
}
for (const r of roots) if (fs.existsSync(r)) walk(r);
if (bad.length) {
  console.error("Skipped, focused or conditional tests are not allowed (a test that needs something missing must fail saying so):\n" + bad.join("\n"));
  process.exit(1);
}
console.log("test check: no skipped, focused or conditional tests");
