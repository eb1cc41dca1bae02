import { execFile } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { promisify } from "node:util";
import { afterAll, describe, expect, it } from "vitest";

/**
 * Released migrations cannot change: `node scripts/migrations.mjs check` (part of `npm run lint`)
 * fails when a sealed migration's text changed or it was removed, and when a migration is not
 * sealed yet; `seal` (npm run migrations:seal) adds new ones and never rewrites a sealed one.
 * Exercised on a copy of the real migrations folder.
 */
const run = promisify(execFile);
const script = path.resolve("scripts/migrations.mjs");
const real = path.resolve("src/platform/db/migrations");
const dirs: string[] = [];
afterAll(() => {
  for (const d of dirs) fs.rmSync(d, { recursive: true, force: true });
});

async function migrations(command: string, dir: string): Promise<{ code: number; out: string }> {
  try {
    const r = await run(process.execPath, [script, command, "--dir", dir]);
    return { code: 0, out: r.stdout + r.stderr };
  } catch (e) {
    const err = e as { code?: number; stdout?: string; stderr?: string };
    return { code: err.code ?? 1, out: (err.stdout ?? "") + (err.stderr ?? "") };
  }
}

describe("migration checksums", () => {
  it("every migration in the repository is sealed and unchanged", async () => {
    const r = await migrations("check", real);
    expect(r.out).toMatch(/^migrations check: \d+ migrations, all sealed and unchanged/);
    expect(r.code).toBe(0);
  });

  it("fails on an edited, removed or unsealed migration, and seal adds only new ones", async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "vd-mig-"));
    dirs.push(dir);
    fs.cpSync(real, dir, { recursive: true });
    const released = fs.readdirSync(dir).filter((f) => f.endsWith(".sql")).sort();
    const first = released[0]!;

    fs.appendFileSync(path.join(dir, first), "\n-- an innocent-looking edit\n");
    const edited = await migrations("check", dir);
    expect(edited.code).not.toBe(0);
    expect(edited.out).toContain("Released migrations cannot change");
    expect(edited.out).toMatch(new RegExp(`${first} changed \\(sealed sha256 [0-9a-f]{12}…, now [0-9a-f]{12}…\\)`));
    // Sealing does not launder the edit.
    const laundered = await migrations("seal", dir);
    expect(laundered.code).not.toBe(0);
    expect(laundered.out).toContain("Not sealing");
    fs.copyFileSync(path.join(real, first), path.join(dir, first));

    fs.renameSync(path.join(dir, released[1]!), path.join(dir, `${released[1]}.bak`));
    const removed = await migrations("check", dir);
    expect(removed.code).not.toBe(0);
    expect(removed.out).toContain(`${released[1]} was removed`);
    fs.renameSync(path.join(dir, `${released[1]}.bak`), path.join(dir, released[1]!));

    fs.writeFileSync(path.join(dir, "9999_next.sql"), "CREATE TABLE next_thing (id int);\n");
    const unsealed = await migrations("check", dir);
    expect(unsealed.code).not.toBe(0);
    expect(unsealed.out).toContain("Migrations not in");
    expect(unsealed.out).toContain("9999_next.sql");
    expect(unsealed.out).toContain("npm run migrations:seal");
    const sealed = await migrations("seal", dir);
    expect(sealed.code).toBe(0);
    expect(sealed.out).toContain("sealed: 9999_next.sql");
    expect((await migrations("check", dir)).code).toBe(0);
    const list = JSON.parse(fs.readFileSync(path.join(dir, "checksums.json"), "utf8")) as Record<string, string>;
    expect(Object.keys(list)).toEqual([...released, "9999_next.sql"]);
  });
});
