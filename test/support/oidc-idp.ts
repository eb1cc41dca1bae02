import http from "node:http";
import type { AddressInfo } from "node:net";
import * as jose from "jose";
import Provider from "oidc-provider";

/**
 * Identity providers for the OpenID Connect tests, on 127.0.0.1 at a random port, in the test
 * process: `startOidcProvider` runs the real `oidc-provider` (the interaction pages answered
 * automatically for the account the test names: sign-in and consent), `startRogueIssuer` a
 * provider whose token endpoint answers ID tokens the test forges (wrong audience, issuer, nonce,
 * signing key) with a discovery document and JWKS of its own.
 */

export type Account = { sub: string; email: string; email_verified?: boolean; name?: string; groups?: string[] };
/** `require_auth_time`: the provider states `auth_time` in every ID token (else only when asked: max_age). */
export type OidcClient = { client_id: string; client_secret: string; redirect_uri: string; require_auth_time?: boolean };

export interface OidcIdp {
  issuer: string;
  /**
   * Who the next sign-in at the provider is (its sign-in page would ask); `secondsAgo`: the sign-in
   * the provider records was that long ago (a sign-in of its own it answers from).
   */
  signInAs(account: Account, opts?: { secondsAgo?: number }): void;
  /** The `prompt` of each authorization request that reached the sign-in page, in order. */
  readonly logins: Array<{ prompt: string | undefined }>;
  close(): Promise<void>;
}

async function listen(server: http.Server): Promise<string> {
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
}

export async function startOidcProvider(clients: OidcClient[]): Promise<OidcIdp> {
  const accounts = new Map<string, Account>();
  let next: Account | undefined;
  let secondsAgo = 0;
  const logins: OidcIdp["logins"] = [];
  const server = http.createServer();
  const issuer = await listen(server);
  const { privateKey } = await jose.generateKeyPair("RS256", { extractable: true });
  const jwk = { ...(await jose.exportJWK(privateKey)), kid: "idp-key-1", alg: "RS256", use: "sig" };
  const provider = new Provider(issuer, {
    clients: clients.map((c) => ({ client_id: c.client_id, client_secret: c.client_secret, redirect_uris: [c.redirect_uri], grant_types: ["authorization_code"], response_types: ["code"], token_endpoint_auth_method: "client_secret_basic", ...(c.require_auth_time ? { require_auth_time: true } : {}) })),
    jwks: { keys: [jwk] },
    cookies: { keys: ["a test cookie key of the identity provider"] },
    claims: { openid: ["sub"], email: ["email", "email_verified"], profile: ["name"], groups: ["groups"] },
    scopes: ["openid", "email", "profile", "groups"],
    features: { devInteractions: { enabled: false } },
    interactions: { url: (_ctx: unknown, interaction: { uid: string }) => `/interaction/${interaction.uid}` },
    pkce: { required: () => true },
    findAccount: async (_ctx: unknown, id: string) => {
      const a = accounts.get(id);
      return a ? { accountId: id, claims: async () => ({ ...a }) } : undefined;
    },
  });
  const handle = provider.callback();
  server.on("request", (req: http.IncomingMessage, res: http.ServerResponse) => {
    if (!req.url?.startsWith("/interaction/")) return handle(req, res);
    void (async () => {
      const details = await provider.interactionDetails(req, res);
      if (details.prompt.name === "login") {
        if (!next) throw new Error("the test named nobody to sign in at the identity provider");
        accounts.set(next.sub, next);
        logins.push({ prompt: details.params.prompt === undefined ? undefined : String(details.params.prompt) });
        await provider.interactionFinished(req, res, { login: { accountId: next.sub, ts: Math.floor(Date.now() / 1000) - secondsAgo } }, { mergeWithLastSubmission: false });
      } else {
        const grant = new provider.Grant({ accountId: details.session!.accountId, clientId: String(details.params.client_id) });
        grant.addOIDCScope(String(details.params.scope));
        await provider.interactionFinished(req, res, { consent: { grantId: await grant.save() } }, { mergeWithLastSubmission: true });
      }
    })().catch((err: Error) => {
      res.statusCode = 500;
      res.end(err.message);
    });
  });
  return {
    issuer,
    signInAs: (a, opts) => {
      next = a;
      secondsAgo = opts?.secondsAgo ?? 0;
    },
    logins,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

export type Forge = (ctx: { issuer: string; nonce: string; key: jose.CryptoKey }) => Promise<string>;

export interface RogueIssuer {
  issuer: string;
  /** The key its JWKS publishes (tokens signed with it pass the signature check). */
  key: jose.CryptoKey;
  /** What the token endpoint answers next, given the nonce of the last authorization request. */
  forge(f: Forge): void;
  /** The nonce Vaultdesk sent in its authorization request (read from the URL by the test). */
  expectNonce(nonce: string): void;
  /** What its UserInfo endpoint adds to the last forged token's subject (unsigned, as UserInfo is). */
  userinfo(extra: Record<string, unknown>): void;
  close(): Promise<void>;
}

export async function startRogueIssuer(): Promise<RogueIssuer> {
  const server = http.createServer();
  const issuer = await listen(server);
  const { privateKey, publicKey } = await jose.generateKeyPair("RS256");
  const pub = { ...(await jose.exportJWK(publicKey)), kid: "rogue-1", alg: "RS256", use: "sig" };
  let forge: Forge | undefined;
  let nonce = "";
  let lastSub = "";
  let extraInfo: Record<string, unknown> = {};
  server.on("request", (req: http.IncomingMessage, res: http.ServerResponse) => {
    const send = (body: unknown) => {
      res.setHeader("content-type", "application/json");
      res.end(JSON.stringify(body));
    };
    const url = new URL(req.url ?? "/", issuer);
    if (url.pathname === "/.well-known/openid-configuration") {
      return send({ issuer, authorization_endpoint: `${issuer}/auth`, token_endpoint: `${issuer}/token`, userinfo_endpoint: `${issuer}/userinfo`, jwks_uri: `${issuer}/jwks`, response_types_supported: ["code"], subject_types_supported: ["public"], id_token_signing_alg_values_supported: ["RS256"], code_challenge_methods_supported: ["S256"] });
    }
    if (url.pathname === "/jwks") return send({ keys: [pub] });
    if (url.pathname === "/userinfo") return send({ ...extraInfo, sub: lastSub });
    if (url.pathname === "/token" && req.method === "POST") {
      req.resume();
      req.on("end", () => {
        void (forge ? forge({ issuer, nonce, key: privateKey }) : Promise.reject(new Error("nothing to forge"))).then(
          (id_token) => {
            try {
              lastSub = String(jose.decodeJwt(id_token).sub ?? "");
            } catch {
              lastSub = "";
            }
            send({ access_token: "rogue-access-token", token_type: "Bearer", expires_in: 300, id_token });
          },
          () => {
            res.statusCode = 400;
            send({ error: "invalid_grant" });
          },
        );
      });
      return;
    }
    res.statusCode = 404;
    res.end();
  });
  return {
    issuer,
    key: privateKey,
    forge: (f) => void (forge = f),
    expectNonce: (n) => void (nonce = n),
    userinfo: (extra) => void (extraInfo = extra),
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}
