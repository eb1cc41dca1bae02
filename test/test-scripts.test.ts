import { execFile } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { promisify } from "node:util";
import { afterAll, describe, expect, it } from "vitest";

/**
 * The scripts that keep the test suites honest:
 *  - `node scripts/check-tests.mjs` (part of `npm run lint`) refuses a test declared under a
 *    condition (`if (pgUrl) { it(…) }` and its kin), which would silently leave it out of some runs;
 *  - `node scripts/run-postgres-suite.mjs` (part of `npm test`) skips the PostgreSQL server suite,
 *    saying so and what to install, only when there are neither server binaries nor
 *    TEST_DATABASE_URL, and `--check` (used by .ci/run) fails instead.
 * Each runs as a real process, on fixture files in a temporary folder.
 */
const run = promisify(execFile);
const dirs: string[] = [];
afterAll(() => {
  for (const d of dirs) fs.rmSync(d, { recursive: true, force: true });
});

async function node(args: string[], opts: { cwd?: string; env?: Record<string, string | undefined> } = {}): Promise<{ code: number; stdout: string; stderr: string }> {
  const env: Record<string, string> = {};
  for (const [k, v] of Object.entries({ ...process.env, ...opts.env })) if (v !== undefined) env[k] = v;
  try {
    const r = await run(process.execPath, args, { env, ...(opts.cwd ? { cwd: opts.cwd } : {}) });
    return { code: 0, stdout: r.stdout, stderr: r.stderr };
  } catch (e) {
    const err = e as { code?: number; stdout?: string; stderr?: string };
    return { code: err.code ?? 1, stdout: err.stdout ?? "", stderr: err.stderr ?? "" };
  }
}

describe("scripts/check-tests.mjs", () => {
  const script = path.resolve("scripts/check-tests.mjs");

  it("passes the repository's tests", async () => {
    const r = await node([script]);
    expect(r.stdout + r.stderr).toMatch(/^test check: no skipped, focused or conditional tests/);
    expect(r.code).toBe(0);
  });

  it("refuses tests declared under a condition, and only those", async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "vd-check-"));
    dirs.push(dir);
    fs.mkdirSync(path.join(dir, "test"));
    const lines = [
      `import { describe, it as check, test, bench } from "vitest";`,
      `const url = process.env.TEST_DATABASE_URL;`,
      `if (url) describe("a", () => {});`,
      `url && check("b", () => {});`,
      `url ? test("c", () => {}) : undefined;`,
      `const myTest = test.extend({});`,
      `describe("d", () => {`,
      `  if (url) {`,
      `    myTest("e", () => {});`,
      `  } else {`,
      `    check.each([1])("f %s", () => {});`,
      `  }`,
      `  switch (url) { case "x": bench("g", () => {}); }`,
      `  url ?? test("h", () => {});`,
      `  function declareLater() { if (url) test("i", () => {}); }`,
      `  declareLater();`,
      // Not conditional declarations: a test per case, conditions inside a test, a local `test`, RegExp#test.
      `  for (const x of [1, 2]) check(\`case \${x}\`, () => { if (x) /re/.test("s"); });`,
      `  check("j", () => { if (url) { const test = (s: string) => s; test("mine"); } });`,
      `  if (url) { const re = /x/; re.test("y"); }`,
      `});`,
    ];
    fs.writeFileSync(path.join(dir, "test", "fixture.test.ts"), lines.join("\n"));
    const r = await node([script], { cwd: dir });
    expect(r.code).toBe(1);
    const reported = [...r.stderr.matchAll(/^test\/fixture\.test\.ts:(\d+): test declared under a condition \(([^)]+)\)/gm)].map((m) => [Number(m[1]), m[2]]);
    expect(reported).toEqual([
      [3, "if"],
      [4, "&&"],
      [5, "?:"],
      [9, "if"],
      [11, "if"],
      [13, "switch"],
      [14, "??"],
      [15, "if"],
    ]);
  });
});

describe("scripts/run-postgres-suite.mjs", () => {
  const script = path.resolve("scripts/run-postgres-suite.mjs");
  // A machine without PostgreSQL: TEST_POSTGRES_BIN names a folder without initdb, no TEST_DATABASE_URL.
  const without = { TEST_POSTGRES_BIN: path.join(os.tmpdir(), "vd-no-postgres-here"), TEST_DATABASE_URL: undefined };

  it("without server binaries or TEST_DATABASE_URL skips the suite, saying what to install, and exits 0", async () => {
    const r = await node([script], { env: without });
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/^PostgreSQL server tests SKIPPED: no PostgreSQL server binaries \(no initdb and pg_ctl in TEST_POSTGRES_BIN=.*\) and TEST_DATABASE_URL is not set\. .*apt-get install postgresql.*TEST_DATABASE_URL=.*npm run test:postgres\.$/m);
  });

  it("with --check fails instead of skipping, and passes where the binaries are", async () => {
    const missing = await node([script, "--check"], { env: without });
    expect(missing.code).toBe(1);
    expect(missing.stderr).toContain("PostgreSQL server tests SKIPPED");
    // A folder with initdb and pg_ctl counts as PostgreSQL's binaries (--check runs nothing).
    const bin = fs.mkdtempSync(path.join(os.tmpdir(), "vd-pgbin-"));
    dirs.push(bin);
    for (const f of ["initdb", "pg_ctl"]) fs.writeFileSync(path.join(bin, f), "");
    const found = await node([script, "--check"], { env: { TEST_POSTGRES_BIN: bin, TEST_DATABASE_URL: undefined } });
    expect(found.stdout).toContain(`PostgreSQL server tests: server binaries in ${bin}; a throw-away cluster per test.`);
    expect(found.code).toBe(0);
  });
});

describe("scripts/run-peers-suite.mjs", () => {
  const script = path.resolve("scripts/run-peers-suite.mjs");
  const without = { TEST_CLAMD: path.join(os.tmpdir(), "vd-no-clamd-here") };

  it("without clamd skips the suite, saying what to install, and exits 0; with --check fails instead", async () => {
    const r = await node([script], { env: without });
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/^Peer tests SKIPPED: no clamd \(looked at .*vd-no-clamd-here\)\. .*apt-get install clamav-daemon.*npm run test:peers\.$/m);
    const missing = await node([script, "--check"], { env: without });
    expect(missing.code).toBe(1);
    expect(missing.stderr).toContain("Peer tests SKIPPED");
    const bin = fs.mkdtempSync(path.join(os.tmpdir(), "vd-clamd-"));
    dirs.push(bin);
    fs.writeFileSync(path.join(bin, "clamd"), "");
    fs.writeFileSync(path.join(bin, "chromium"), "");
    // SimpleSAMLphp's folder (its IdP entry point) and a php that has the extensions it needs.
    const ssp = path.join(bin, "simplesamlphp");
    fs.mkdirSync(path.join(ssp, "www", "saml2", "idp"), { recursive: true });
    fs.writeFileSync(path.join(ssp, "www", "saml2", "idp", "SSOService.php"), "");
    fs.writeFileSync(path.join(bin, "php"), "#!/bin/sh\nexit 0\n", { mode: 0o755 });
    fs.writeFileSync(path.join(bin, "nginx"), "");
    const peers = { TEST_CLAMD: path.join(bin, "clamd"), CHROMIUM_PATH: path.join(bin, "chromium"), TEST_SIMPLESAMLPHP: ssp, TEST_PHP: path.join(bin, "php"), TEST_NGINX: path.join(bin, "nginx") };
    const found = await node([script, "--check"], { env: peers });
    expect(found.code).toBe(0);
    expect(found.stdout).toContain(`Peer tests: clamd at ${path.join(bin, "clamd")}, SimpleSAMLphp at ${ssp} (php at ${path.join(bin, "php")}), nginx at ${path.join(bin, "nginx")}.`);
    // The client-address tests need nginx as their reverse proxy.
    const noNginx = await node([script, "--check"], { env: { ...peers, TEST_NGINX: path.join(bin, "no-nginx") } });
    expect(noNginx.code).toBe(1);
    expect(noNginx.stderr).toMatch(/Peer tests SKIPPED: no nginx/);
    // Its browser tests need Chromium as well.
    const noBrowser = await node([script, "--check"], { env: { ...peers, CHROMIUM_PATH: path.join(bin, "no-chromium") } });
    expect(noBrowser.code).toBe(1);
    expect(noBrowser.stderr).toMatch(/Peer tests SKIPPED: no Chromium at .*no-chromium.*apt-get|Peer tests SKIPPED: no Chromium at .*no-chromium/);
    // And SimpleSAMLphp (the SAML tests' identity provider), run by php.
    const noSsp = await node([script, "--check"], { env: { ...peers, TEST_SIMPLESAMLPHP: path.join(bin, "no-ssp") } });
    expect(noSsp.code).toBe(1);
    expect(noSsp.stderr).toMatch(/Peer tests SKIPPED: no SimpleSAMLphp \(looked at .*no-ssp;.*apt-get install simplesamlphp php-cli/);
    const skipped = await node([script], { env: { ...peers, TEST_SIMPLESAMLPHP: path.join(bin, "no-ssp") } });
    expect(skipped.code).toBe(0);
    expect(skipped.stdout).toContain("Peer tests SKIPPED: no SimpleSAMLphp");
    const noPhp = await node([script, "--check"], { env: { ...peers, TEST_PHP: path.join(bin, "no-php") } });
    expect(noPhp.code).toBe(1);
    expect(noPhp.stderr).toMatch(/Peer tests SKIPPED: no php .*php-cli/);
    fs.writeFileSync(path.join(bin, "php-bare"), "#!/bin/sh\nexit 1\n", { mode: 0o755 });
    const barePhp = await node([script, "--check"], { env: { ...peers, TEST_PHP: path.join(bin, "php-bare") } });
    expect(barePhp.code).toBe(1);
    expect(barePhp.stderr).toMatch(/lacks the DOM\/XML or mbstring extension.*php-xml/);
  });
});
