import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { DataDirPermissionError, describeFixes, secureDataDir, type PermissionFs } from "./data-dir.ts";

const dirs: string[] = [];
afterEach(() => {
  for (const d of dirs.splice(0)) fs.rmSync(d, { recursive: true, force: true });
});
function folder(): string {
  const d = fs.mkdtempSync(path.join(os.tmpdir(), "vd-perm-"));
  dirs.push(d);
  return d;
}
const modeOf = (p: string) => fs.lstatSync(p).mode & 0o777;

describe("secureDataDir", () => {
  it("removes group and other access from the folder and everything in it, and says what it changed", () => {
    const d = folder();
    fs.mkdirSync(path.join(d, "pgdata", "base"), { recursive: true });
    fs.writeFileSync(path.join(d, "master.key"), "k");
    fs.writeFileSync(path.join(d, "pgdata", "base", "1259"), "x");
    fs.writeFileSync(path.join(d, "pgdata", "PG_VERSION"), "18");
    fs.symlinkSync("/etc/hostname", path.join(d, "link"));
    fs.chmodSync(d, 0o755);
    fs.chmodSync(path.join(d, "pgdata"), 0o777);
    fs.chmodSync(path.join(d, "pgdata", "base"), 0o750);
    fs.chmodSync(path.join(d, "master.key"), 0o644);
    fs.chmodSync(path.join(d, "pgdata", "base", "1259"), 0o666);
    fs.chmodSync(path.join(d, "pgdata", "PG_VERSION"), 0o600);
    const fixed = secureDataDir(d);
    expect(fixed.map((f) => [path.relative(d, f.path), f.from, f.to]).sort()).toEqual(
      [
        ["", 0o755, 0o700],
        ["master.key", 0o644, 0o600],
        ["pgdata", 0o777, 0o700],
        ["pgdata/base", 0o750, 0o700],
        ["pgdata/base/1259", 0o666, 0o600],
      ].sort(),
    );
    expect(modeOf(d)).toBe(0o700);
    expect(modeOf(path.join(d, "pgdata", "base", "1259"))).toBe(0o600);
    // Links are not followed (their target is not ours to change).
    expect(modeOf("/etc/hostname") & 0o004).toBe(0o004);
    expect(describeFixes(d, fixed)).toMatch(new RegExp(`^Warning: the data folder ${d} was open to other users of this machine; removed their access from 5 entries \\(\\. 0755→0700, `));
    expect(secureDataDir(d)).toEqual([]);
  });

  it("does nothing where there is no folder", () => {
    expect(secureDataDir(path.join(folder(), "nothing-here"))).toEqual([]);
  });

  it("refuses, naming the entry and the owner, when a mode cannot be changed", () => {
    const d = folder();
    fs.writeFileSync(path.join(d, "master.key"), "k", { mode: 0o644 });
    fs.chmodSync(path.join(d, "master.key"), 0o644);
    // The file system of an account that does not own the file: chmod is refused.
    const notOwner: PermissionFs = {
      lstat: (p) => fs.lstatSync(p),
      readdir: (p) => fs.readdirSync(p),
      chmod: (p, mode) => {
        if (p.endsWith("master.key")) throw Object.assign(new Error("operation not permitted"), { code: "EPERM" });
        fs.chmodSync(p, mode);
      },
    };
    expect(() => secureDataDir(d, notOwner)).toThrow(DataDirPermissionError);
    expect(() => secureDataDir(d, notOwner)).toThrow(new RegExp(`${d}/master.key is open to other users \\(mode 0644\\) and cannot be changed \\(EPERM: it belongs to uid \\d+.*chmod -R go-rwx ${d}`));
  });
});
