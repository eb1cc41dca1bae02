import fs from "node:fs";
import http from "node:http";
import { AppError, statusOf } from "../platform/errors.ts";
import type { Logger } from "../platform/logging.ts";
import type { Runtime } from "../platform/runtime.ts";
import { runOperation } from "../cli/operations.ts";
import { socketPath } from "./operator-client.ts";

/**
 * The local operator channel: a unix socket inside the data folder (mode 0600, in a 0700
 * folder), through which the CLI asks the running server to act while the server owns PGlite.
 * Only the account that runs the server can connect. One JSON request, one JSON answer.
 */
export async function startOperatorSocket(rt: Runtime, logger: Logger): Promise<{ close(): Promise<void> }> {
  const file = socketPath(rt.config.dataDir);
  try {
    fs.unlinkSync(file);
  } catch {
    /* none left behind */
  }
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on("data", (c: Buffer) => {
      size += c.length;
      if (size > 64 * 1024) req.destroy();
      else chunks.push(c);
    });
    req.on("end", async () => {
      let status = 200;
      let body: unknown;
      try {
        const msg = JSON.parse(Buffer.concat(chunks).toString("utf8")) as { op?: unknown; args?: unknown };
        if (typeof msg.op !== "string") throw new AppError("BadRequest");
        logger.info({ op: msg.op }, "operator command");
        body = { ok: true, result: await runOperation(rt, msg.op, msg.args ?? {}) };
      } catch (e) {
        const err = e instanceof AppError ? e : e instanceof SyntaxError ? new AppError("BadRequest") : undefined;
        if (!err) logger.error({ err: e }, "operator command failed");
        status = err ? statusOf[err.code] : 500;
        body = { ok: false, error: err?.code ?? "InternalError", description: err ? describe(err) : "operation failed; see the server log" };
      }
      res.writeHead(status, { "content-type": "application/json" }).end(JSON.stringify(body));
    });
  });
  const oldMask = process.umask(0o177);
  try {
    await new Promise<void>((resolve, reject) => {
      server.once("error", reject);
      server.listen(file, () => resolve());
    });
  } finally {
    process.umask(oldMask);
  }
  fs.chmodSync(file, 0o600);
  return {
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        try {
          fs.unlinkSync(file);
        } catch {
          /* gone */
        }
      }),
  };
}

function describe(err: AppError): string {
  if (!err.details) return err.description;
  return Object.values(err.details)
    .flat()
    .map((d) => d.description)
    .join("; ");
}
