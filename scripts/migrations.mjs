#!/usr/bin/env node
// Released migrations cannot change. src/platform/db/migrations/checksums.json holds the SHA-256 of
// every released migration; `npm run lint` runs `check`, which fails when one of them was edited or
// removed, or when a migration is not in the list yet; `npm run migrations:seal` (`seal`) adds new
// migrations to the list once they are final, and never rewrites an entry already there.
//   node scripts/migrations.mjs check|seal [--dir <migrations folder>]
import crypto from "node:crypto";
import fs from "node:fs";
import path from "node:path";

const [command, ...rest] = process.argv.slice(2);
const dir = rest[0] === "--dir" && rest[1] ? path.resolve(rest[1]) : path.resolve("src/platform/db/migrations");
const listFile = path.join(dir, "checksums.json");
const sha256 = (file) => crypto.createHash("sha256").update(fs.readFileSync(path.join(dir, file))).digest("hex");
const files = fs.readdirSync(dir).filter((f) => f.endsWith(".sql")).sort();
const sealed = fs.existsSync(listFile) ? JSON.parse(fs.readFileSync(listFile, "utf8")) : {};

const changed = Object.keys(sealed).filter((f) => files.includes(f) && sha256(f) !== sealed[f]);
const removed = Object.keys(sealed).filter((f) => !files.includes(f));
const unsealed = files.filter((f) => !(f in sealed));
const refuse = (lines) => {
  console.error(lines.join("\n"));
  process.exit(1);
};
const tampered = [
  ...changed.map((f) => `  ${f} changed (sealed sha256 ${sealed[f].slice(0, 12)}…, now ${sha256(f).slice(0, 12)}…)`),
  ...removed.map((f) => `  ${f} was removed`),
];

if (command === "check") {
  const problems = [];
  if (tampered.length) problems.push("Released migrations cannot change: databases that applied them will never run them again. Put back the released text and write a new migration for the change.", ...tampered);
  if (unsealed.length) problems.push(`Migrations not in ${path.relative(process.cwd(), listFile)}: ${unsealed.join(", ")}. When a new migration is final, run: npm run migrations:seal`);
  if (problems.length) refuse(problems);
  console.log(`migrations check: ${files.length} migrations, all sealed and unchanged`);
} else if (command === "seal") {
  if (tampered.length) refuse(["Not sealing: released migrations changed (seal adds new migrations only; it never rewrites a released one):", ...tampered]);
  for (const f of unsealed) sealed[f] = sha256(f);
  const ordered = Object.fromEntries(Object.keys(sealed).sort().map((f) => [f, sealed[f]]));
  fs.writeFileSync(listFile, JSON.stringify(ordered, null, 2) + "\n");
  console.log(unsealed.length ? `sealed: ${unsealed.join(", ")}` : "nothing to seal: every migration is in the list");
} else {
  refuse(["usage: node scripts/migrations.mjs check|seal [--dir <migrations folder>]"]);
}
