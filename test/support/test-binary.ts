import fs from "node:fs";
import path from "node:path";
import { pathToFileURL } from "node:url";
import * as esbuild from "esbuild";

/**
 * The `vaultdesk` binary the tests start as child processes (servers and CLI commands, about 120 a
 * run): `src/cli/main.ts` bundled once per run with esbuild, so each process loads one file instead
 * of every source module through tsx's loader hooks (a server answered /healthz ~0.7–1.2 s sooner,
 * a CLI command finished ~0.5 s sooner on this 2-core machine). The sources are the same; only how
 * they are loaded differs, and test/shipped-binary.test.ts still starts `bin/vaultdesk.mjs` itself.
 *
 * The three places where the sources find files beside themselves (the migrations, the PGlite
 * worker, `web/dist`) use `import.meta.url`: in the bundle that would name the bundle's folder, so
 * each source's `import.meta.url` is replaced by that source file's own URL. Dependencies stay
 * outside the bundle (`packages: "external"`) and load from node_modules as they do under tsx;
 * names are kept (`keepNames`) so errors and logs say what they say when run through tsx.
 */
export const TEST_BINARY_ENV = "VAULTDESK_TEST_BINARY";

export async function buildTestBinary(outDir: string): Promise<string> {
  const outfile = path.join(outDir, "vaultdesk.mjs");
  await esbuild.build({
    entryPoints: [path.resolve("src/cli/main.ts")],
    bundle: true,
    platform: "node",
    format: "esm",
    target: "node20",
    packages: "external",
    keepNames: true,
    outfile,
    logLevel: "warning",
    plugins: [
      {
        name: "source-import-meta-url",
        setup(build) {
          build.onLoad({ filter: /\.ts$/ }, async (args) => {
            const source = await fs.promises.readFile(args.path, "utf8");
            return { contents: source.replaceAll("import.meta.url", JSON.stringify(pathToFileURL(args.path).href)), loader: "ts" };
          });
        },
      },
    ],
  });
  return outfile;
}

/** The binary a test starts: this run's bundle when global setup built one, else the shipped `bin/vaultdesk.mjs`. */
export function testBinary(): string {
  return process.env[TEST_BINARY_ENV] ?? path.resolve("bin/vaultdesk.mjs");
}
