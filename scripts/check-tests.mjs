#!/usr/bin/env node
// Security suites cannot be skipped: any .skip / .only / .todo in a test file fails the check.
import fs from "node:fs";
import path from "node:path";

const roots = ["test", "src"];
const bad = [];
function walk(dir) {
  for (const e of fs.readdirSync(dir, { withFileTypes: true })) {
    const p = path.join(dir, e.name);
    if (e.isDirectory()) walk(p);
    else if (/\.test\.tsx?$/.test(e.name)) {
      fs.readFileSync(p, "utf8").split("\n").forEach((line, i) => {
        if (/\b(it|test|describe)\.(skip|only|todo)\b|\bx(it|describe)\(/.test(line)) bad.push(`${p}:${i + 1}: ${line.trim()}`);
      });
    }
  }
}
for (const r of roots) if (fs.existsSync(r)) walk(r);
if (bad.length) {
  console.error("Skipped or focused tests are not allowed:\n" + bad.join("\n"));
  process.exit(1);
}
console.log("test check: no skipped or focused tests");
