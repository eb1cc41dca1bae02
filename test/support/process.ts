import { spawn, type ChildProcess } from "node:child_process";
import { execFile } from "node:child_process";
import http from "node:http";
import net from "node:net";
import { promisify } from "node:util";
import { testBinary } from "./test-binary.ts";

/** Helpers to run the real `vaultdesk` binary as child processes on loopback. */

const run = promisify(execFile);

export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = net.createServer();
    s.once("error", reject);
    s.listen(0, "127.0.0.1", () => {
      const p = (s.address() as net.AddressInfo).port;
      s.close(() => resolve(p));
    });
  });
}

export type ServerProcess = { child: ChildProcess; port: number; output: () => string; exited: Promise<number | null> };

/** `binary`: the shipped bin/vaultdesk.mjs or another, instead of the run's bundle (test-binary.ts). */
export async function startServer(dataDir: string, env: Record<string, string> = {}, opts: { binary?: string } = {}): Promise<ServerProcess> {
  const port = await freePort();
  // BENCH_CPU_PROFILE_DIR: write a V8 CPU profile of the server there when it exits (bench/README.md).
  const prof = process.env.BENCH_CPU_PROFILE_DIR ? ["--cpu-prof", `--cpu-prof-dir=${process.env.BENCH_CPU_PROFILE_DIR}`] : [];
  const child = spawn(process.execPath, [...prof, opts.binary ?? testBinary(), "serve", "--port", String(port), "--data-dir", dataDir], {
    env: { ...process.env, LOG_LEVEL: "warn", VAULTDESK_RATE_LIMIT_PER_MINUTE: "0", VAULTDESK_SIGNIN_PER_CLIENT_PER_MINUTE: "0", HOST: "127.0.0.1", ...env },
    stdio: ["ignore", "pipe", "pipe"],
  });
  let out = "";
  child.stdout!.on("data", (d: Buffer) => (out += d.toString()));
  child.stderr!.on("data", (d: Buffer) => (out += d.toString()));
  const exited = new Promise<number | null>((resolve) => child.on("exit", (code) => resolve(code)));
  const deadline = Date.now() + 60_000;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`server exited early: ${out}`);
    const ok = await new Promise<boolean>((resolve) => {
      const req = http.get({ host: "127.0.0.1", port, path: "/healthz" }, (res) => {
        res.resume();
        resolve(res.statusCode === 200);
      });
      req.on("error", () => resolve(false));
    });
    if (ok) break;
    if (Date.now() > deadline) throw new Error(`server did not answer /healthz: ${out}`);
    await new Promise((r) => setTimeout(r, 200));
  }
  return { child, port, output: () => out, exited };
}

export async function cli(dataDir: string, ...args: string[]): Promise<{ stdout: string; stderr: string; code: number }> {
  return cliWith({}, [...args, "--data-dir", dataDir]);
}

/** Runs `vaultdesk <args>` with extra environment variables (and no --data-dir unless given). */
export async function cliWith(env: Record<string, string>, args: string[], opts: { cwd?: string; binary?: string } = {}): Promise<{ stdout: string; stderr: string; code: number }> {
  try {
    const r = await run(process.execPath, [opts.binary ?? testBinary(), ...args], { env: { ...process.env, LOG_LEVEL: "silent", ...env }, ...(opts.cwd ? { cwd: opts.cwd } : {}) });
    return { stdout: r.stdout, stderr: r.stderr, code: 0 };
  } catch (e) {
    const err = e as { stdout?: string; stderr?: string; code?: number };
    return { stdout: err.stdout ?? "", stderr: err.stderr ?? "", code: err.code ?? 1 };
  }
}

export function apiTokenFrom(stdout: string): string {
  const m = /^API token: (\S+)$/m.exec(stdout);
  if (!m) throw new Error(`no API token line in: ${stdout}`);
  return m[1]!;
}

const agent = new http.Agent({ keepAlive: true, maxSockets: 64 });

/** A signed-in session: its cookie, and the CSRF token its writes send. */
export type SessionCredential = { cookie: string; csrf: string };

/** One request to a server process, with an API token (Bearer), a session, or nothing. */
export function call(port: number, host: string, token: string | SessionCredential | undefined, method: string, urlPath: string, body?: unknown): Promise<{ status: number; body: any; headers: http.IncomingHttpHeaders }> {
  const credential =
    token === undefined ? {} : typeof token === "string" ? { authorization: `Bearer ${token}` } : { cookie: token.cookie, ...(method === "GET" ? {} : { "x-csrf-token": token.csrf }) };
  return new Promise((resolve, reject) => {
    const payload = body === undefined ? undefined : JSON.stringify(body);
    const req = http.request(
      {
        host: "127.0.0.1",
        port,
        method,
        path: urlPath,
        agent,
        headers: { host, ...credential, ...(payload ? { "content-type": "application/json", "content-length": String(Buffer.byteLength(payload)) } : {}) },
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on("data", (c: Buffer) => chunks.push(c));
        res.on("end", () => {
          const text = Buffer.concat(chunks).toString("utf8");
          let parsed: unknown;
          try {
            parsed = text ? JSON.parse(text) : undefined;
          } catch {
            parsed = text;
          }
          resolve({ status: res.statusCode ?? 0, body: parsed, headers: res.headers });
        });
        res.on("error", reject);
      },
    );
    req.on("error", reject);
    if (payload) req.write(payload);
    req.end();
  });
}
