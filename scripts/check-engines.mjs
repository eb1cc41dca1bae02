#!/usr/bin/env node
// Every package the lockfile installs must support the Node versions package.json's "engines"
// names (their lowest), so `npm install` on a supported Node prints no EBADENGINE warning and
// nothing needs a newer Node than the README promises. Checked by `npm run lint`.
import fs from "node:fs";
import semver from "semver";

const pkg = JSON.parse(fs.readFileSync("package.json", "utf8"));
const lock = JSON.parse(fs.readFileSync("package-lock.json", "utf8"));
const supported = new semver.Range(pkg.engines.node);
// The lowest version of each range part (">=20.19 <21 || >=22.12": 20.19.0 and 22.12.0).
const floors = supported.set.map((comparators) => semver.minVersion(new semver.Range(comparators.map((c) => c.value).join(" "))).version);
const bad = [];
for (const [where, p] of Object.entries(lock.packages)) {
  const range = p.engines?.node;
  if (!where || !range) continue;
  for (const v of floors) {
    if (!semver.satisfies(v, range)) bad.push(`${where.replace(/^.*node_modules\//, "")}@${p.version} wants node ${range}, but package.json supports ${v}`);
  }
}
if (bad.length) {
  console.error(`Dependencies that do not support every Node version package.json's engines allow (${pkg.engines.node}):\n  ${bad.join("\n  ")}\nChoose versions that do (or an npm override to a compatible version), or raise engines and the README.`);
  process.exit(1);
}
console.log(`engines check: every dependency supports Node ${floors.join(" and ")} (engines: ${pkg.engines.node})`);
