import fs from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import fastifyStatic from "@fastify/static";
import type { FastifyInstance, FastifyReply, FastifyRequest } from "fastify";

/**
 * Serves the web app built into web/dist (npm install builds it). Pages are static; everything
 * they show comes from /api/v2 with the visitor's own session, so a page can never do what the API
 * would refuse. Unknown non-API paths answer the app's index.html (client-side routes).
 */
export const webDist = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../../web/dist");

export async function registerWeb(app: FastifyInstance): Promise<(req: FastifyRequest, reply: FastifyReply) => boolean> {
  const built = fs.existsSync(path.join(webDist, "index.html"));
  if (built) await app.register(fastifyStatic, { root: webDist, prefix: "/", wildcard: false, index: ["index.html"], cacheControl: false });
  // Returns true when it answered the request.
  return (req, reply) => {
    if (req.method !== "GET" || req.url.startsWith("/api/")) return false;
    if (!built) {
      void reply.code(503).type("text/plain; charset=utf-8").send("The web app is not built. Run `npm run build:web` (npm install does it), then reload.");
      return true;
    }
    void reply.type("text/html; charset=utf-8").sendFile("index.html");
    return true;
  };
}
