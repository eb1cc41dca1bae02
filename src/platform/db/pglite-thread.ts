import fs from "node:fs";
import { createRequire } from "node:module";
import path from "node:path";
import { Worker } from "node:worker_threads";

/**
 * PGlite in a worker thread (pglite-worker.mjs), seen from the main thread.
 *
 * PGlite executes SQL synchronously inside its WASM module: run in the server's own thread, every
 * query stopped the event loop, so while one request's statements ran no other request could be
 * parsed, authenticated, sealed or answered. In a worker the database work and the HTTP work
 * overlap on two cores. Each call is a message; rows come back by structured clone (bytea as
 * Uint8Array, timestamps as Date, int8 as number — the parsers are set in the worker).
 */
export interface PGliteResult<R> {
  rows: R[];
  affectedRows?: number | undefined;
}

export interface PGliteLike {
  query<R>(sql: string, params: readonly unknown[]): Promise<PGliteResult<R>>;
  /** Several statements in one call (simple protocol); the last statement's rows. */
  exec<R>(sql: string): Promise<PGliteResult<R>>;
  dumpDataDir(): Promise<Blob>;
  close(): Promise<void>;
}

type Reply = { id: number; result?: unknown; error?: Record<string, unknown> & { message: string } };

function rebuildError(fields: Record<string, unknown> & { message: string }): Error {
  return Object.assign(new Error(fields.message), fields);
}

/** A compiled WebAssembly.Module: opaque here, cloned to the database thread. */
type WasmModule = object;
// The project's TypeScript lib (ES2023, no DOM) declares no WebAssembly global; Node has one. Only
// compile is used, hence this narrow view of it.
const wasm = (globalThis as unknown as { WebAssembly: { compile(bytes: Uint8Array): Promise<WasmModule> } }).WebAssembly;
let compiled: Promise<WasmModule> | undefined;

/**
 * PostgreSQL's WASM module, compiled once per process and handed to each database thread. A
 * thread that loads it itself compiles it anew, and tiers up its hot functions anew: a process
 * that opens many databases (the test suite opens one per file) paid that each time. Threads
 * given the same module share its compiled code; each still has its own memory and state.
 */
function pgliteModule(): Promise<WasmModule | undefined> {
  compiled ??= (async () => {
    const dist = path.dirname(createRequire(import.meta.url).resolve("@electric-sql/pglite"));
    return wasm.compile(await fs.promises.readFile(path.join(dist, "pglite.wasm")));
  })();
  // Where the file is not beside the package's entry (a bundled install), each thread loads the
  // module itself, as PGlite does without this: slower to open, never unable to.
  return compiled.catch(() => undefined);
}

export async function startPGliteThread(opts: { dataDir?: string; loadDataDir?: Blob }): Promise<PGliteLike> {
  const loadDataDir = opts.loadDataDir ? await opts.loadDataDir.arrayBuffer() : undefined;
  const worker = new Worker(new URL("./pglite-worker.mjs", import.meta.url), {
    workerData: { dataDir: opts.dataDir, loadDataDir, wasmModule: await pgliteModule() },
    ...(loadDataDir ? { transferList: [loadDataDir] } : {}),
  });
  const pending = new Map<number, { resolve(v: unknown): void; reject(e: Error): void }>();
  let nextId = 1;
  let failure: Error | undefined;

  await new Promise<void>((resolve, reject) => {
    const onMessage = (m: { ready?: boolean; error?: Record<string, unknown> & { message: string } }) => {
      worker.off("message", onMessage);
      worker.off("error", onError);
      if (m.ready) resolve();
      else reject(rebuildError(m.error ?? { message: "the embedded database did not start" }));
    };
    const onError = (e: Error) => {
      worker.off("message", onMessage);
      reject(e);
    };
    worker.on("message", onMessage);
    worker.once("error", onError);
  });

  worker.on("message", (m: Reply) => {
    const p = pending.get(m.id);
    if (!p) return;
    pending.delete(m.id);
    if (m.error) p.reject(rebuildError(m.error));
    else p.resolve(m.result);
  });
  const failAll = (e: Error) => {
    failure = e;
    for (const p of pending.values()) p.reject(e);
    pending.clear();
  };
  worker.on("error", failAll);
  worker.on("exit", (code) => failAll(new Error(`the embedded database thread stopped (exit code ${code})`)));

  const call = <T>(msg: Record<string, unknown>): Promise<T> => {
    if (failure) return Promise.reject(failure);
    const id = nextId++;
    return new Promise<T>((resolve, reject) => {
      pending.set(id, { resolve: resolve as (v: unknown) => void, reject });
      worker.postMessage({ ...msg, id });
    });
  };

  return {
    // A Buffer is often a window on a larger shared pool, and cloning a view copies the whole
    // pool: send an exact copy instead.
    query: <R>(sql: string, params: readonly unknown[]) =>
      call<PGliteResult<R>>({ op: "query", sql, params: params.map((v) => (v instanceof Uint8Array && v.byteLength !== v.buffer.byteLength ? new Uint8Array(v) : v)) }),
    exec: <R>(sql: string) => call<PGliteResult<R>>({ op: "exec", sql }),
    dumpDataDir: async () => new Blob([await call<ArrayBuffer>({ op: "dump" })], { type: "application/x-gzip" }),
    async close() {
      if (!failure) await call({ op: "close" });
      await worker.terminate();
    },
  };
}
