import http from "node:http";
import path from "node:path";

/**
 * The command line's side of the operator channel (operator-socket.ts is the server's): where the
 * socket is, and one operation sent through it. Kept apart from the server's side so that a
 * command a running server carries out loads only this, not the whole application.
 */
export function socketPath(dataDir: string): string {
  return path.join(dataDir, "operator.sock");
}

/** Client side: send one operation to the running server. */
export function callOperator(dataDir: string, op: string, args: unknown): Promise<{ status: number; body: { ok: boolean; result?: unknown; error?: string; description?: string } }> {
  return new Promise((resolve, reject) => {
    const req = http.request({ socketPath: socketPath(dataDir), method: "POST", path: "/op", headers: { "content-type": "application/json" } }, (res) => {
      const chunks: Buffer[] = [];
      res.on("data", (c: Buffer) => chunks.push(c));
      res.on("end", () => {
        try {
          resolve({ status: res.statusCode ?? 0, body: JSON.parse(Buffer.concat(chunks).toString("utf8")) });
        } catch (e) {
          reject(e);
        }
      });
    });
    req.on("error", reject);
    req.end(JSON.stringify({ op, args }));
  });
}
