import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import Fastify, { type FastifyInstance } from "fastify";
import { afterEach, describe, expect, it } from "vitest";
import { registerErrorHandling } from "./errors.ts";
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
  registerErrorHandling(app);
  await registerWeb(app, { dist });
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
    for (const url of ["/", "/setup", "/setup?token=abc", "/agent", "/agent/", "/agent/tickets/12", "/agent/views/mine?page=2", "/forgot-password", "/reset-password?token=vdr_abc"]) {
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
      expect(r.json(), url).toMatchObject({ error: "InvalidEndpoint" });
    }
  });

  it("answers an unknown page with the app's not-found page for a browser, and JSON for the API", async () => {
    const { app } = await serve(true);
    const html = { accept: "text/html,application/xhtml+xml,*/*;q=0.8" };
    const page = await app.inject({ method: "GET", url: "/no/such/page", headers: html });
    expect(page.statusCode).toBe(404);
    expect(page.headers["content-type"]).toBe("text/html; charset=utf-8");
    expect(page.body).toBe(INDEX);
    for (const url of ["/api/v2/nope", "/assets/missing.js"]) {
      const r = await app.inject({ method: "GET", url, headers: html });
      expect(r.statusCode, url).toBe(404);
      expect(r.json(), url).toMatchObject({ error: "InvalidEndpoint" });
    }
    const client = await app.inject({ method: "GET", url: "/no/such/page", headers: { accept: "application/json" } });
    expect(client.json()).toMatchObject({ error: "InvalidEndpoint" });
    expect((await app.inject({ method: "POST", url: "/no/such/page", headers: html })).json()).toMatchObject({ error: "InvalidEndpoint" });
  });

  it("serves robots.txt that keeps crawlers out, and the favicon", async () => {
    const { app, dist } = await serve(true);
    const robots = await app.inject({ method: "GET", url: "/robots.txt" });
    expect(robots.statusCode).toBe(200);
    expect(robots.body).toBe("User-agent: *\nDisallow: /\n");
    expect((await app.inject({ method: "GET", url: "/favicon.ico" })).statusCode).toBe(404);
    fs.writeFileSync(path.join(dist, "favicon.svg"), "<svg xmlns='http://www.w3.org/2000/svg'/>");
    for (const url of ["/favicon.svg", "/favicon.ico"]) {
      const r = await app.inject({ method: "GET", url });
      expect(r.statusCode, url).toBe(200);
      expect(r.headers["content-type"], url).toBe("image/svg+xml");
      expect(r.body).toContain("<svg");
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
