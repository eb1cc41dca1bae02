import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import Fastify, { type FastifyInstance } from "fastify";
import { afterEach, describe, expect, it } from "vitest";
import { NOT_BUILT_MESSAGE, registerWeb } from "./web.ts";

/** Static serving of the web app, on a bare Fastify with a throw-away dist folder. */

const INDEX = `<!doctype html><html><head><script type="module" src="/assets/app-1.js"></script></head><body><div id="root"></div></body></html>`;
let app: FastifyInstance | undefined;
const dirs: string[] = [];

async function serve(built: boolean): Promise<{ app: FastifyInstance; dist: string }> {
  const dist = fs.mkdtempSync(path.join(os.tmpdir(), "vd-web-"));
  dirs.push(dist);
  if (built) {
    fs.mkdirSync(path.join(dist, "assets"));
    fs.writeFileSync(path.join(dist, "index.html"), INDEX);
    fs.writeFileSync(path.join(dist, "assets", "app-1.js"), "console.log(1)");
    fs.writeFileSync(path.join(dist, "assets", ".secret"), "x");
  }
  app = Fastify({ logger: false, routerOptions: { ignoreTrailingSlash: true } });
  app.addHook("onRequest", async (_req, reply) => {
    reply.header("Cache-Control", "no-store");
  });
  await registerWeb(app, { dist });
  app.setNotFoundHandler(async (_req, reply) => reply.code(404).send({ error: "InvalidEndpoint" }));
  return { app, dist };
}

afterEach(async () => {
  await app?.close();
  app = undefined;
  for (const d of dirs.splice(0)) fs.rmSync(d, { recursive: true, force: true });
});

describe("web app serving", () => {
  it("answers index.html for the app's pages, uncached", async () => {
    const { app } = await serve(true);
    for (const url of ["/", "/setup", "/setup?token=abc", "/agent", "/agent/", "/agent/tickets/12", "/agent/views/mine?page=2"]) {
      const r = await app.inject({ method: "GET", url });
      expect(r.statusCode, url).toBe(200);
      expect(r.headers["content-type"]).toBe("text/html; charset=utf-8");
      expect(r.headers["cache-control"]).toBe("no-store");
      expect(r.body).toBe(INDEX);
    }
    expect((await app.inject({ method: "HEAD", url: "/agent" })).statusCode).toBe(200);
  });

  it("serves hashed assets with a long cache, and nothing else", async () => {
    const { app } = await serve(true);
    const js = await app.inject({ method: "GET", url: "/assets/app-1.js" });
    expect(js.statusCode).toBe(200);
    expect(js.headers["content-type"]).toMatch(/javascript/);
    expect(js.headers["cache-control"]).toMatch(/max-age=31536000.*immutable/);
    for (const url of ["/assets/missing.js", "/assets/.secret", "/assets/../index.html", "/assets/%2e%2e/index.html", "/index.html", "/other", "/api/v2/nope", "/agentx"]) {
      const r = await app.inject({ method: "GET", url });
      expect(r.statusCode, url).toBe(404);
      expect(r.json(), url).toEqual({ error: "InvalidEndpoint" });
    }
  });

  it("says how to build the pages when web/dist is missing, and picks up a later build", async () => {
    const { app, dist } = await serve(false);
    const r = await app.inject({ method: "GET", url: "/" });
    expect(r.statusCode).toBe(503);
    expect(r.headers["content-type"]).toBe("text/plain; charset=utf-8");
    expect(r.body).toBe(NOT_BUILT_MESSAGE);
    expect(r.body).toMatch(/npm run build:web/);
    expect((await app.inject({ method: "GET", url: "/agent/tickets/1" })).statusCode).toBe(503);
    expect((await app.inject({ method: "GET", url: "/api/v2/nope" })).statusCode).toBe(404);

    fs.writeFileSync(path.join(dist, "index.html"), INDEX);
    const later = await app.inject({ method: "GET", url: "/setup" });
    expect(later.statusCode).toBe(200);
    expect(later.body).toBe(INDEX);
  });
});
