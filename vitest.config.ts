import fs from "node:fs";
import path from "node:path";
import { defineConfig } from "vitest/config";
import { BaseSequencer, type TestSpecification } from "vitest/node";

/** Test files under `dir` (recursively), as paths relative to the project. */
function testFiles(dir: string): string[] {
  return fs.readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    const p = path.join(dir, e.name);
    return e.isDirectory() ? testFiles(p) : e.name.endsWith(".test.ts") ? [p] : [];
  });
}

/**
 * The files that never open the test database: unit tests, and the tests of the binary on an
 * embedded data folder of its own. A file opens it only through test/support/harness.ts or
 * test/support/postgres-database.ts, or by reading TEST_DATABASE_URL or calling openDatabase
 * itself; a file that does none of these runs the same whatever TEST_DATABASE_URL says.
 */
function databaseFreeFiles(): string[] {
  const opens = /support\/harness|postgres-database|TEST_DATABASE_URL|openDatabase/;
  return [...testFiles("src"), ...testFiles("test").filter((f) => !/^test\/(e2e|postgres|peers)\//.test(f))].filter((f) => !opens.test(fs.readFileSync(f, "utf8")));
}

/**
 * The file that measures the process's memory, forcing full garbage collections as it samples it,
 * runs first: in a worker whose heap holds only its own modules, such a collection is quick (the
 * file took ~6 s), while later, in a worker that has loaded the whole app for other files
 * (`isolate: false`), the same samples took ~57 s.
 */
const FIRST = ["src/platform/blobs/sealed-blobs-memory.test.ts"];
class MemoryFirst extends BaseSequencer {
  override async sort(files: TestSpecification[]): Promise<TestSpecification[]> {
    const sorted = await super.sort(files);
    const first = (f: TestSpecification) => FIRST.some((p) => path.relative(process.cwd(), f.moduleId) === p);
    return [...sorted.filter(first), ...sorted.filter((f) => !first(f))];
  }
}

/**
 * The default suite (`vitest run`, the first step of `npm test`): needs nothing but Node — it runs
 * on PGlite, or on a database of its own on TEST_DATABASE_URL's server when that is set. Tests
 * that need a PostgreSQL server (test/postgres), another project's program such as clamd
 * (test/peers) or a browser (test/e2e) are suites of their own: vitest.postgres.config.ts,
 * vitest.peers.config.ts and vitest.e2e.config.ts.
 *
 * On PostgreSQL (TEST_DATABASE_URL set) the database-free files are left out: they ran in the
 * embedded round of `npm test` and would run exactly the same again (about 40 files, among them
 * the binary's durability tests, several minutes of CI).
 */
export default defineConfig({
  test: {
    include: ["src/**/*.test.ts", "test/**/*.test.ts"],
    exclude: ["test/e2e/**", "test/postgres/**", "test/peers/**", "node_modules/**", ...(process.env.TEST_DATABASE_URL ? databaseFreeFiles() : [])],
    globalSetup: ["test/support/binary-setup.ts", "test/support/global-setup.ts"],
    testTimeout: 60_000,
    hookTimeout: 120_000,
    // Two cores: more workers than that only adds contention.
    maxWorkers: 2,
    // Files in one worker share its loaded modules instead of importing the whole app anew for
    // each (import was ~290 s of a run's test time, now ~20 s). Each file still opens its own
    // database and app; module state is keyed by tenant, and a file that mocks a module
    // (vi.mock) calls vi.resetModules() before importing what uses it.
    isolate: false,
    reporters: ["default"],
    sequence: { sequencer: MemoryFirst },
  },
});
