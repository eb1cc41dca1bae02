import fs from "node:fs";
import path from "node:path";
import { buildTestBinary, TEST_BINARY_ENV } from "./test-binary.ts";

/**
 * Global setup of every suite: bundles the binary the tests start (test-binary.ts) into a folder of
 * this run's own, and hands its path to the test workers, which inherit the environment.
 */
export default async function setup(): Promise<() => void> {
  const dir = path.resolve(".test-cache", `bin-${process.pid}`);
  fs.rmSync(dir, { recursive: true, force: true });
  process.env[TEST_BINARY_ENV] = await buildTestBinary(dir);
  return () => fs.rmSync(dir, { recursive: true, force: true });
}
