// The embedded database's thread: PGlite (PostgreSQL compiled to WASM) runs here, so the server's
// event loop keeps accepting, parsing and answering requests while a query executes.
//
// Plain JavaScript on purpose: a worker thread does not inherit the TypeScript loader the main
// thread runs under, and this file only relays messages. The typed side is pglite-thread.ts.
import { parentPort, workerData } from "node:worker_threads";
import { PGlite } from "@electric-sql/pglite";

const port = parentPort;
if (!port) throw new Error("pglite-worker.mjs runs as a worker thread");

/** Errors cross the thread boundary as plain fields (PostgreSQL's code, detail, constraint …). */
function plainError(e) {
  const out = { message: e instanceof Error ? e.message : String(e) };
  if (e && typeof e === "object") {
    for (const k of ["name", "code", "detail", "hint", "severity", "schema", "table", "column", "constraint", "where", "position"]) {
      if (e[k] !== undefined) out[k] = typeof e[k] === "string" || typeof e[k] === "number" ? e[k] : String(e[k]);
    }
  }
  return out;
}

const options = { parsers: { 20: (v) => Number(v) } };
if (workerData.dataDir) options.dataDir = workerData.dataDir;
if (workerData.loadDataDir) options.loadDataDir = new Blob([workerData.loadDataDir]);
// Compiled once in the main thread (pglite-thread.ts); shared with every database thread.
if (workerData.wasmModule) options.pgliteWasmModule = workerData.wasmModule;

let pg;
try {
  pg = await PGlite.create(options);
  port.postMessage({ ready: true });
} catch (e) {
  port.postMessage({ ready: false, error: plainError(e) });
}

port.on("message", async (m) => {
  try {
    if (m.op === "query") {
      const r = await pg.query(m.sql, m.params);
      port.postMessage({ id: m.id, result: { rows: r.rows, affectedRows: r.affectedRows } });
    } else if (m.op === "exec") {
      const results = await pg.exec(m.sql);
      const last = results[results.length - 1];
      port.postMessage({ id: m.id, result: { rows: last ? last.rows : [] } });
    } else if (m.op === "dump") {
      const blob = await pg.dumpDataDir("gzip");
      const bytes = await blob.arrayBuffer();
      port.postMessage({ id: m.id, result: bytes }, [bytes]);
    } else if (m.op === "close") {
      await pg.close();
      port.postMessage({ id: m.id, result: null });
    } else {
      throw new Error(`unknown operation ${m.op}`);
    }
  } catch (e) {
    port.postMessage({ id: m.id, error: plainError(e) });
  }
});
