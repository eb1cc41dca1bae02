import fs from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import fastifyStatic from "@fastify/static";
import type { FastifyInstance, FastifyRequest } from "fastify";
import { AppError } from "../platform/errors.ts";

/**
 * Serves the web app that `npm install` builds into web/dist (Vite; `npm run build:web`).
 *
 * - `/assets/*`: the built scripts, styles and images. Their names carry a content hash, so they
 *   may be cached for a year.
 * - `/`, `/setup`, `/agent`, `/agent/*`, `/admin`, `/admin/*`, `/invite` and the help center's
 *   `/signin`, `/requests`, `/requests/*`, `/my-information`, `/confirm-email`, and the password
 *   reset pages `/forgot-password` and `/reset-password` (staff and end users), and the OAuth
 *   consent page `/oauth/consent`: index.html, where the app's own router takes over. It
 *   is never cached, so a new build is picked up at once.
 *
 * - `/favicon.svg` (also answered for `/favicon.ico`) and `/robots.txt`, which asks crawlers to
 *   stay away: a helpdesk's pages are private.
 *
 * Unknown paths answer 404: the JSON error for API clients and for anything under /api, and the
 * app's own not-found page for a browser (which asks for text/html). The pages
 * are the same static files for every host and carry no data; everything they show comes from
 * /api/v2 with the visitor's own session, under the same checks as any API client, and the
 * Content-Security-Policy set in app.ts (scripts and styles from this origin only) applies to them.
 * When web/dist is missing the server still runs, and the pages answer a plain message saying how
 * to build them (checked per request, so a build made while the server runs is picked up).
 */
export const defaultWebDist = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../../web/dist");

export const PAGE_ROUTES = ["/", "/setup", "/agent", "/agent/*", "/admin", "/admin/*", "/invite", "/signin", "/requests", "/requests/*", "/my-information", "/confirm-email", "/forgot-password", "/reset-password", "/oauth/consent"] as const;

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

  const sendIndex = async (reply: import("fastify").FastifyReply, status: number) => {
    if (!fs.existsSync(index)) {
      return reply.code(503).type("text/plain; charset=utf-8").header("Retry-After", "60").send(NOT_BUILT_MESSAGE);
    }
    // No Cache-Control from the file server: the no-store set for every response stays.
    return reply.code(status).type("text/html; charset=utf-8").sendFile("index.html", dist, { cacheControl: false, lastModified: false, etag: false });
  };

  app.get("/robots.txt", { schema: { hide: true } }, async (_req, reply) => reply.type("text/plain; charset=utf-8").send(ROBOTS));
  for (const url of ["/favicon.svg", "/favicon.ico"]) {
    app.get(url, { schema: { hide: true } }, async (_req, reply) => {
      const file = path.join(dist, "favicon.svg");
      if (!fs.existsSync(file)) throw new AppError("InvalidEndpoint");
      return reply.header("Cache-Control", "public, max-age=86400").type("image/svg+xml").sendFile("favicon.svg", dist, { cacheControl: false });
    });
  }

  app.setNotFoundHandler(async (req, reply) => {
    if (wantsPage(req)) return sendIndex(reply, 404);
    throw new AppError("InvalidEndpoint", { description: "The requested path does not exist." });
  });

  for (const url of PAGE_ROUTES) {
    app.get(url, { schema: { hide: true } }, async (_req, reply) => sendIndex(reply, 200));
  }
}

const ROBOTS = "User-agent: *\nDisallow: /\n";

/** A browser asking for a page (not the API, not a script or an image). */
function wantsPage(req: FastifyRequest): boolean {
  const path = req.url.split("?")[0]!;
  if (path.startsWith("/api/") || path.startsWith("/assets/")) return false;
  if (req.method !== "GET" && req.method !== "HEAD") return false;
  return /\btext\/html\b/.test(req.headers.accept ?? "");
}
