import { spawn, spawnSync, type ChildProcess } from "node:child_process";
import fs from "node:fs";
import net from "node:net";
import os from "node:os";
import path from "node:path";
import { freePort } from "./process.ts";

/**
 * A real ClamAV daemon (Debian's clamav-daemon) on a unix socket and a loopback TCP port, with a
 * signature database written here that matches the EICAR test file — no signature download. It
 * can be stopped and started again (the "clamd is down" tests).
 */

/** The EICAR anti-virus test file: harmless, detected by every scanner that carries its signature. */
export const EICAR = Buffer.from("X5O!P%@AP[4\\PZX54(P^)7CC)7}$EICAR-STANDARD-ANTIVIRUS-TEST-FILE!$H+H*", "latin1");

export function clamdBinary(): string | undefined {
  for (const p of [process.env.TEST_CLAMD, "/usr/sbin/clamd", "/usr/bin/clamd"]) if (p && fs.existsSync(p)) return p;
  const which = spawnSync("sh", ["-c", "command -v clamd"], { encoding: "utf8" });
  return which.status === 0 ? which.stdout.trim() || undefined : undefined;
}

export type Clamd = { socket: string; port: number; stop(): Promise<void>; start(): Promise<void>; close(): Promise<void> };

function ping(socket: string): Promise<boolean> {
  return new Promise((resolve) => {
    const c = net.createConnection({ path: socket });
    let got = "";
    c.setTimeout(1000, () => (c.destroy(), resolve(false)));
    c.on("connect", () => c.write("zPING\0"));
    c.on("data", (d) => (got += d.toString("latin1")));
    c.on("end", () => resolve(got.startsWith("PONG")));
    c.on("error", () => resolve(false));
  });
}

/** `streamMaxLength`: clamd's StreamMaxLength (what it takes through INSTREAM), as clamd writes it ("200M"). */
export async function startClamd(opts: { streamMaxLength?: string } = {}): Promise<Clamd> {
  const bin = clamdBinary();
  if (!bin) throw new Error("clamd is not installed: apt-get install clamav-daemon (or set TEST_CLAMD to the clamd binary)");
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "vd-clamd-"));
  fs.mkdirSync(path.join(dir, "db"));
  fs.writeFileSync(path.join(dir, "db", "vaultdesk-test.ndb"), `Vaultdesk.Test.EICAR:0:*:${EICAR.toString("hex")}\n`);
  const socket = path.join(dir, "clamd.sock");
  const port = await freePort();
  const conf = path.join(dir, "clamd.conf");
  fs.writeFileSync(
    conf,
    [`LocalSocket ${socket}`, `TCPSocket ${port}`, "TCPAddr 127.0.0.1", `DatabaseDirectory ${path.join(dir, "db")}`, "Foreground yes", `LogFile ${path.join(dir, "clamd.log")}`, `PidFile ${path.join(dir, "clamd.pid")}`, `StreamMaxLength ${opts.streamMaxLength ?? "200M"}`, ""].join("\n"),
  );
  let child: ChildProcess | undefined;
  const start = async () => {
    child = spawn(bin, ["-c", conf], { stdio: "ignore" });
    const deadline = Date.now() + 30_000;
    while (!(await ping(socket))) {
      if (Date.now() > deadline) throw new Error(`clamd did not start: ${fs.existsSync(path.join(dir, "clamd.log")) ? fs.readFileSync(path.join(dir, "clamd.log"), "utf8").slice(-2000) : "no log"}`);
      if (child.exitCode !== null) throw new Error(`clamd exited with ${child.exitCode}`);
      await new Promise((r) => setTimeout(r, 100));
    }
  };
  const stop = async () => {
    const c = child;
    child = undefined;
    if (!c || c.exitCode !== null) return;
    await new Promise<void>((resolve) => {
      c.once("exit", () => resolve());
      c.kill("SIGTERM");
    });
    fs.rmSync(socket, { force: true });
  };
  await start();
  return {
    socket,
    port,
    stop,
    start,
    async close() {
      await stop();
      fs.rmSync(dir, { recursive: true, force: true });
    },
  };
}
