import http from "node:http";

/**
 * The sign-in benchmark's flood, a process of its own started at the lowest CPU priority: an
 * attacker's work runs on the attacker's machines, and here it can only share the server's two
 * cores, so it gets what the server and the show clients leave (the server still pays for every
 * connection and answer). 16 clients send wrong passwords as fast as they are answered, each
 * request from a new loopback source address, until told to stop (IPC from bench/run.ts).
 */
/** @type {{ port: number; host: string; oneAccount: string | null; firstAddress: number; clients: number }} */
const input = JSON.parse(process.argv[2] ?? "{}");
let stopping = false;
process.on("message", (m) => {
  if (m === "stop") stopping = true;
});
// Listening must not keep the process alive once the clients are done.
process.channel?.unref();

/** @returns {Promise<{ status: number; ms: number }>} */
function attempt(localAddress, email) {
  return new Promise((resolve, reject) => {
    const payload = JSON.stringify({ email, password: "Not the password 1!" });
    const t0 = performance.now();
    const req = http.request(
      { host: "127.0.0.1", port: input.port, method: "POST", path: "/api/v2/session.json", localAddress, agent: false, headers: { host: input.host, "content-type": "application/json", "content-length": String(Buffer.byteLength(payload)), connection: "close" } },
      (res) => {
        res.resume();
        res.on("end", () => resolve({ status: res.statusCode ?? 0, ms: performance.now() - t0 }));
      },
    );
    req.on("error", reject);
    req.end(payload);
  });
}

/** @type {Record<string, number>} */
const answers = {};
let max503 = 0;
let n = input.firstAddress;
await Promise.all(
  Array.from({ length: input.clients }, async () => {
    // Bounded: at most 2000 attempts per flood client.
    for (let i = 0; i < 2000 && !stopping; i++) {
      const k = ++n;
      const r = await attempt(`127.${10 + ((k >> 16) & 0x7f)}.${(k >> 8) & 0xff}.${(k & 0xff) || 1}`, input.oneAccount ?? `nobody${k}@signin.test`);
      answers[r.status] = (answers[r.status] ?? 0) + 1;
      if (r.status === 503) max503 = Math.max(max503, r.ms);
    }
  }),
);
process.send?.({ answers, max503, lastAddress: n });
