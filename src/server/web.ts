import fs from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import fastifyStatic from "@fastify/static";
import type { FastifyInstance } from "fastify";

/**
 * Serves the web app that `npm install` builds into web/dist (Vite; `npm run build:web`).
 *
 * - `/assets/*`: the built scripts, styles and images. Their names carry a content hash, so they
 *   may be cached for a year.
 * - `/`, `/setup`, `/agent`, `/agent/*`, `/admin`, `/admin/*`, `/invite` and the help center's
 *   `/signin`, `/requests`, `/requests/*`, `/my-information`: index.html, where the app's own router takes over. It
 *   is never cached, so a new build is picked up at once.
 *
 * Nothing else: unknown paths, and everything under /api, fall through to the JSON 404. The pages
 * are the same static files for every host and carry no data; everything they show comes from
 * /api/v2 with the visitor's own session, under the same checks as any API client, and the
 * Content-Security-Policy set in app.ts (scripts and styles from this origin only) applies to them.
 * When web/dist is missing the server still runs, and the pages answer a plain message saying how
 * to build them (checked per request, so a build made while the server runs is picked up).
 */
export const defaultWebDist = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../../web/dist");

export const PAGE_ROUTES = ["/", "/setup", "/agent", "/agent/*", "/admin", "/admin/*", "/invite", "/signin", "/requests", "/requests/*", "/my-information"] as const;

export const NOT_BUILT_MESSAGE =
  "The Vaultdesk web app is not built, so there are no pages to show yet. The API at /api/v2 works.\n" +
  "Build the pages with `npm run build:web` (`npm install` does it too), then reload this page.\n";

export async function registerWeb(app: FastifyInstance, opts: { dist?: string } = {}): Promise<void> {
  const dist = opts.dist ?? defaultWebDist;
  const index = path.join(dist, "index.html");
  if (!fs.existsSync(index)) app.log.warn(`web app not built (no ${index}): run npm run build:web`);

  await app.register(fastifyStatic, {
    root: path.join(dist, "assets"),
    prefix: "/assets/",
    wildcard: true,
    index: false,
    dotfiles: "ignore",
    suppressWarning: true,
    cacheControl: true,
    maxAge: "365d",
    immutable: true,
  });

  for (const url of PAGE_ROUTES) {
    app.get(url, { schema: { hide: true } }, async (_req, reply) => {
      if (!fs.existsSync(index)) {
        return reply.code(503).type("text/plain; charset=utf-8").header("Retry-After", "60").send(NOT_BUILT_MESSAGE);
      }
      // No Cache-Control from the file server: the no-store set for every response stays.
      return reply.type("text/html; charset=utf-8").sendFile("index.html", dist, { cacheControl: false, lastModified: false, etag: false });
    });
  }
}
