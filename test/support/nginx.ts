import { spawn, spawnSync, type ChildProcess } from "node:child_process";
import fs from "node:fs";
import net from "node:net";
import os from "node:os";
import path from "node:path";
import { freePort } from "./process.ts";

/**
 * Debian's nginx as a reverse proxy on loopback, with a configuration written here: it listens on
 * 127.0.0.1, passes every request to the app, connects to the app from `bindAddress` (so the app
 * can trust exactly that address) and adds X-Forwarded-For with `$proxy_add_x_forwarded_for`
 * (what a client sent, then the address nginx saw) — the configuration operators use.
 */

export function nginxBinary(): string | undefined {
  for (const p of [process.env.TEST_NGINX, "/usr/sbin/nginx", "/usr/bin/nginx"]) if (p && fs.existsSync(p)) return p;
  const which = spawnSync("sh", ["-c", "command -v nginx"], { encoding: "utf8" });
  return which.status === 0 ? which.stdout.trim() || undefined : undefined;
}

export type Nginx = { port: number; close(): Promise<void> };

function listening(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const c = net.createConnection({ host: "127.0.0.1", port });
    c.on("connect", () => (c.destroy(), resolve(true)));
    c.on("error", () => resolve(false));
  });
}

export async function startNginx(opts: { upstreamPort: number; bindAddress: string }): Promise<Nginx> {
  const bin = nginxBinary();
  if (!bin) throw new Error("nginx is not installed: apt-get install nginx (or set TEST_NGINX to the nginx binary)");
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "vd-nginx-"));
  const port = await freePort();
  const tmp = (name: string) => `${name} ${path.join(dir, name.replace(/_path$/, ""))};`;
  // Run as root (CI), the workers would switch to "nobody", who cannot read this folder: keep the user.
  const user = process.getuid?.() === 0 ? "user root root;" : "";
  fs.writeFileSync(
    path.join(dir, "nginx.conf"),
    `${user}
worker_processes 1;
pid ${path.join(dir, "nginx.pid")};
error_log ${path.join(dir, "error.log")} warn;
events { worker_connections 64; }
http {
  access_log off;
  ${tmp("client_body_temp_path")} ${tmp("proxy_temp_path")} ${tmp("fastcgi_temp_path")} ${tmp("uwsgi_temp_path")} ${tmp("scgi_temp_path")}
  server {
    listen 127.0.0.1:${port};
    location / {
      proxy_pass http://127.0.0.1:${opts.upstreamPort};
      proxy_bind ${opts.bindAddress};
      proxy_set_header Host $http_host;
      proxy_set_header X-Forwarded-For $proxy_add_x_forwarded_for;
      proxy_set_header X-Forwarded-Proto $scheme;
    }
  }
}
`,
  );
  const child: ChildProcess = spawn(bin, ["-p", dir, "-c", path.join(dir, "nginx.conf"), "-g", "daemon off;"], { stdio: ["ignore", "ignore", "pipe"] });
  let err = "";
  child.stderr!.on("data", (d: Buffer) => (err += d.toString()));
  const exited = new Promise<void>((resolve) => child.on("exit", () => resolve()));
  const deadline = Date.now() + 20_000;
  while (!(await listening(port))) {
    if (child.exitCode !== null) throw new Error(`nginx exited with ${child.exitCode}: ${err}`);
    if (Date.now() > deadline) throw new Error(`nginx did not listen: ${err}`);
    await new Promise((r) => setTimeout(r, 50));
  }
  return {
    port,
    async close() {
      if (child.exitCode === null) {
        child.kill("SIGTERM");
        await exited;
      }
      fs.rmSync(dir, { recursive: true, force: true });
    },
  };
}
