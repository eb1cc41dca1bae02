import net from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { buildTenant, startTestApp, type TestApp, type TestTenant } from "./support/harness.ts";

/**
 * What reaches the server below the routes, over real sockets: malformed URLs and malformed HTTP
 * get the Zendesk error body and the security headers like every other answer, and a client that
 * sends its request slowly (headers or body) is cut off after VAULTDESK_REQUEST_TIMEOUT_SECONDS
 * (1 s here, the least it takes) instead of holding a connection. What is asserted of those is what
 * the server did, never how long it took: the connection closed by its request timeout (the
 * server's `clientError` with Node's ERR_HTTP_REQUEST_TIMEOUT for that very connection, answered 408)
 * while the client still had most of its request to send; the wait for it is only a generous bound.
 */

let t: TestApp;
let a: TestTenant;
/** The server's client errors (Node's codes), by the client's port. */
const clientErrors = new Map<number, string[]>();
beforeAll(async () => {
  t = await startTestApp({ env: { VAULTDESK_REQUEST_TIMEOUT_SECONDS: "1" } });
  a = await buildTenant(t, "edges");
  // The client's port, read when it connects (a socket destroyed has none).
  const ports = new WeakMap<net.Socket, number>();
  t.app.server.on("connection", (socket: net.Socket) => ports.set(socket, socket.remotePort ?? 0));
  t.app.server.on("clientError", (err: NodeJS.ErrnoException, socket: net.Socket) => {
    const port = ports.get(socket) ?? 0;
    clientErrors.set(port, [...(clientErrors.get(port) ?? []), String(err.code)]);
  });
});
afterAll(async () => t?.close());

/** `sent`/`parts`: the strings written before the connection ended, of how many; `errors`: the server's client errors on this connection. */
type RawAnswer = { status: number; headers: Record<string, string>; body: any; closed: boolean; sent: number; parts: number; errors: string[] };

/** Writes `parts` to a raw socket (a number waits that many ms); resolves when the server closes it or after `waitMs` (a bound only: nothing waits it out but a failing test). */
function raw(parts: Array<string | number>, waitMs = 6000): Promise<RawAnswer> {
  return new Promise((resolve) => {
    const socket = net.connect(t.port, "127.0.0.1");
    let port = 0;
    socket.on("connect", () => (port = socket.localPort ?? 0));
    let sent = 0;
    let data = "";
    let done = false;
    const finish = (closed: boolean) => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      socket.destroy();
      const [head = "", ...rest] = data.split("\r\n\r\n");
      const [statusLine = "", ...lines] = head.split("\r\n");
      const headers: Record<string, string> = {};
      for (const l of lines) {
        const i = l.indexOf(":");
        if (i > 0) headers[l.slice(0, i).trim().toLowerCase()] = l.slice(i + 1).trim();
      }
      let body: unknown;
      try {
        body = JSON.parse(rest.join("\r\n\r\n"));
      } catch {
        body = undefined;
      }
      // The server's clientError for this connection is emitted before it writes the answer and closes.
      resolve({ status: Number(statusLine.split(" ")[1] ?? 0), headers, body, closed, sent, parts: parts.filter((p) => typeof p === "string").length, errors: clientErrors.get(port) ?? [] });
    };
    const timer = setTimeout(() => finish(false), waitMs);
    socket.setEncoding("utf8");
    socket.on("data", (d: string) => (data += d));
    socket.on("close", () => finish(true));
    socket.on("error", () => undefined);
    void (async () => {
      for (const p of parts) {
        if (done) return;
        if (typeof p === "number") await new Promise((r) => setTimeout(r, p));
        else if (!socket.destroyed) {
          socket.write(p);
          sent++;
        }
      }
    })();
  });
}

function expectRendered(r: RawAnswer | { status: number; headers: Record<string, unknown>; body: any }, status: number, error: string) {
  expect(r.status).toBe(status);
  expect(r.body?.error).toBe(error);
  expect(typeof r.body?.description).toBe("string");
  expect(r.headers["content-security-policy"]).toMatch(/default-src 'self'/);
  expect(r.headers["x-content-type-options"]).toBe("nosniff");
  expect(r.headers["x-frame-options"]).toBe("DENY");
  expect(r.headers["x-request-id"]).toMatch(/^[0-9a-f-]{36}$/);
  expect(r.headers["content-type"]).toMatch(/^application\/json/);
}

const auth = () => `Authorization: Bearer ${a.ownerToken}\r\n`;

describe("malformed URLs", () => {
  it("answer 400 with the Zendesk error body and the security headers", async () => {
    for (const path of ["/%", "/api/v2/tickets/%zz", "/api/v2/tickets/%zz.json", "/api/v2/users/%E0%A4%A"]) {
      const r = await t.request({ method: "GET", path, host: a.host, headers: { authorization: `Bearer ${a.ownerToken}` } });
      expectRendered(r, 400, "BadRequest");
    }
  });
});

describe("malformed HTTP, refused by Node's parser before any route", () => {
  it("answers 400 with the Zendesk body and security headers, and closes the connection", async () => {
    for (const request of [
      `GET / HTTP/1.1\r\nHost: ${a.host}\r\nBad Header Line\r\n\r\n`,
      `GET / HTTP/1.1\r\nHost: ${a.host}\r\nX-A: \u0001\r\n\r\n`,
      `GET /a b c HTTP/1.1\r\nHost: ${a.host}\r\n\r\n`,
      `POST /api/v2/tickets HTTP/1.1\r\nHost: ${a.host}\r\nContent-Length: 5\r\nTransfer-Encoding: chunked\r\n\r\n`,
    ]) {
      const r = await raw([request]);
      expect(r.closed, request).toBe(true);
      expectRendered(r, 400, "BadRequest");
      expect(r.headers.connection).toBe("close");
    }
  });

  it("answers 431 for headers over the limit", async () => {
    const r = await raw([`GET / HTTP/1.1\r\nHost: ${a.host}\r\nX-Big: ${"a".repeat(20_000)}\r\n\r\n`]);
    expect(r.closed).toBe(true);
    expectRendered(r, 431, "HeadersTooLarge");
  });
});

describe("slow clients", () => {
  it("the server runs with the configured timeouts", () => {
    expect(t.app.server.requestTimeout).toBe(1000);
    expect(t.app.server.headersTimeout).toBe(1000);
  });

  it("cuts off a client that sends its headers, then trickles its body", async () => {
    const body = JSON.stringify({ ticket: { subject: "slow", comment: { body: "x".repeat(200) } } });
    const head = `POST /api/v2/tickets.json HTTP/1.1\r\nHost: ${a.host}\r\n${auth()}Content-Type: application/json\r\nContent-Length: ${body.length}\r\n\r\n`;
    const trickle: Array<string | number> = [head];
    for (let i = 0; i < 40; i++) trickle.push(body.slice(i, i + 1), 500); // 20 s to send 40 bytes
    const r = await raw(trickle, 30_000);
    expect(r.closed).toBe(true);
    // Cut off by the 1 s request timeout, with most of the body still to send.
    expect(r.errors).toEqual(["ERR_HTTP_REQUEST_TIMEOUT"]);
    expect(r.sent).toBeLessThan(r.parts / 2);
    expectRendered(r, 408, "RequestTimeout");
    // Nothing was written.
    const list = await a.api("GET", "/api/v2/tickets.json");
    expect(list.body.tickets.map((x: { subject: string }) => x.subject)).not.toContain("slow");
  });

  it("cuts off a client that never finishes its headers", async () => {
    const parts: Array<string | number> = [`GET /api/v2/tickets.json HTTP/1.1\r\nHost: ${a.host}\r\n`];
    for (let i = 0; i < 40; i++) parts.push(`X-Slow-${i}: 1\r\n`, 500);
    const r = await raw(parts, 30_000);
    expect(r.closed).toBe(true);
    expect(r.errors).toEqual(["ERR_HTTP_REQUEST_TIMEOUT"]);
    expect(r.sent).toBeLessThan(r.parts / 2);
    expectRendered(r, 408, "RequestTimeout");
  });

  it("closes a connection that never sends anything", async () => {
    const r = await raw([], 30_000);
    expect(r.closed).toBe(true);
    expect(r.errors).toEqual(["ERR_HTTP_REQUEST_TIMEOUT"]);
  });

  it("serves a client that sends at a normal pace", async () => {
    const body = JSON.stringify({ ticket: { subject: "steady", comment: { body: "b" } } });
    const r = await raw([`POST /api/v2/tickets.json HTTP/1.1\r\nHost: ${a.host}\r\n${auth()}Content-Type: application/json\r\nContent-Length: ${body.length}\r\nConnection: close\r\n\r\n`, 300, body]);
    expect(r.status).toBe(201);
    expect(r.body.ticket.subject).toBe("steady");
  });
});
