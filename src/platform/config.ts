import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import ipaddr from "ipaddr.js";
import { z } from "zod";

/** The reverse proxies believed for X-Forwarded-*: none, or their addresses and CIDR ranges. */
export type TrustProxy = false | string[];

function dnsServerOk(v: string): boolean {
  const m = /^\[([^\]]+)\](?::(\d{1,5}))?$/.exec(v) ?? /^([0-9.]+)(?::(\d{1,5}))?$/.exec(v);
  if (m) return ipaddr.isValid(m[1]!) && (m[2] === undefined || Number(m[2]) <= 65535);
  return ipaddr.IPv6.isValid(v);
}

function validProxyAddress(p: string): boolean {
  if (p.includes("/")) {
    try {
      ipaddr.parseCIDR(p);
      return true;
    } catch {
      return false;
    }
  }
  return ipaddr.isValid(p);
}

/**
 * Configuration: one validated, frozen object built from the environment and the command line.
 * A bad value stops the process with a message an operator can act on.
 */
const envSchema = z.object({
  PORT: z.coerce.number().int().min(0).max(65535).default(8080),
  HOST: z.string().max(255).default("0.0.0.0"),
  VAULTDESK_DATA_DIR: z.string().min(1).max(4096).default("./vaultdesk-data"),
  /** Where sealed blobs (attachments, exports) are stored; default: `blobs` in the data folder. */
  VAULTDESK_BLOB_DIR: z.string().min(1).max(4096).optional(),
  DATABASE_URL: z
    .string()
    .max(4096)
    .regex(/^postgres(ql)?:\/\//, "must start with postgres:// or postgresql://")
    .optional(),
  VAULTDESK_MASTER_KEY: z
    .string()
    .regex(
      /^[A-Za-z0-9+/]{43}=$/,
      "must be 32 random bytes in base64; generate one with: node -e \"console.log(require('crypto').randomBytes(32).toString('base64'))\"",
    )
    .optional(),
  VAULTDESK_BASE_DOMAIN: z
    .string()
    .max(253)
    .regex(/^[a-z0-9]([a-z0-9-]*[a-z0-9])?(\.[a-z0-9]([a-z0-9-]*[a-z0-9])?)*$/, "must be a lower-case host name such as helpdesk.example.com")
    .optional(),
  /** The installation's public address: scheme, host (the base domain) and port of every link the server writes. */
  VAULTDESK_PUBLIC_URL: z
    .string()
    .max(2048)
    .refine((s) => {
      try {
        const u = new URL(s);
        return (u.protocol === "http:" || u.protocol === "https:") && u.username === "" && u.password === "" && (u.pathname === "/" || u.pathname === "") && u.search === "" && u.hash === "";
      } catch {
        return false;
      }
    }, "must be an http:// or https:// address with no path, such as https://helpdesk.example.com or http://localhost:8080")
    .optional(),
  VAULTDESK_DEFAULT_TENANT: z
    .string()
    .max(63)
    .regex(/^[a-z0-9-]*$/)
    .optional(),
  /** Most PostgreSQL connections one server process opens (PostgreSQL only); see defaultPoolSize. */
  VAULTDESK_DB_POOL_SIZE: z.coerce.number().int().min(1).max(500).optional(),
  VAULTDESK_RATE_LIMIT_PER_MINUTE: z.coerce.number().int().min(0).max(10_000_000).default(2500),
  /**
   * Benchmark only (bench/search.ts): "1" leaves new writes out of the search index, to measure
   * ticket creation with and without indexing. Never set it on a server in use: what it writes
   * stays unfindable until the tenant is reindexed.
   */
  VAULTDESK_BENCH_ONLY_SKIP_SEARCH_INDEX: z.enum(["0", "1"]).default("0"),
  VAULTDESK_BODY_LIMIT_BYTES: z.coerce.number().int().min(1024).max(100 * 1024 * 1024).default(1024 * 1024),
  /** Longest time a client may take to send a whole request (headers and body); slower ones are cut off. */
  VAULTDESK_REQUEST_TIMEOUT_SECONDS: z.coerce.number().int().min(1).max(3600).default(60),
  VAULTDESK_SESSION_IDLE_MINUTES: z.coerce.number().int().min(1).max(24 * 60).default(30),
  /** Password hashes computed at once (argon2id, CPU-bound); default: half the cores (at least one), so a flood of sign-ins leaves the rest to the API. */
  VAULTDESK_PASSWORD_CHECKS: z.coerce.number().int().min(1).max(64).optional(),
  /** Password checks that may wait for one of those; past that, sign-ins are answered 503 with Retry-After. */
  VAULTDESK_PASSWORD_CHECK_QUEUE: z.coerce.number().int().min(0).max(10_000).default(8),
  VAULTDESK_PASSWORD_FAILURES_PER_SECOND: z.coerce.number().int().min(1).max(100_000).optional(),
  /** Password sign-in requests (the `signin` rate-limit preset) per minute from one client network across every account on the server (each account also allows 30); `0` turns it off. */
  VAULTDESK_SIGNIN_PER_CLIENT_PER_MINUTE: z.coerce.number().int().min(0).max(100_000).default(60),
  VAULTDESK_SESSION_MAX_HOURS: z.coerce.number().int().min(1).max(24 * 30).default(12),
  /**
   * The reverse proxies whose X-Forwarded-For (and -Host, -Proto) is believed: a comma-separated
   * list of their addresses and CIDR ranges, or `false`/empty (none). The headers are taken only
   * when the connection comes from one of them, and the client is the rightmost X-Forwarded-For
   * entry that is not one of them. `true` and hop counts are refused: they would believe a client
   * that connects directly and writes the header itself.
   */
  VAULTDESK_TRUST_PROXY: z
    .string()
    .max(2000)
    .default("false")
    .transform((s, c): TrustProxy => {
      const v = s.trim();
      if (v === "false" || v === "") return false;
      const listForm = "list the proxies' addresses or CIDR ranges separated by commas (e.g. 127.0.0.1,10.0.0.0/8), or false";
      if (v === "true" || /^\d+$/.test(v)) {
        c.addIssue({ code: "custom", message: `no longer accepts ${v === "true" ? "true" : "a number of hops"}, which would believe an X-Forwarded-For written by a client connecting directly: ${listForm}` });
        return false;
      }
      const list = v.split(",").map((p) => p.trim());
      const bad = list.filter((p) => !validProxyAddress(p));
      if (bad.length > 0) c.addIssue({ code: "custom", message: `must be addresses and CIDR ranges separated by commas (not ${bad.slice(0, 3).join(", ")}): ${listForm}` });
      return list;
    }),
  /** Where the built web app is (default: web/dist beside the code). */
  VAULTDESK_WEB_DIST: z.string().min(1).max(4096).optional(),
  LOG_LEVEL: z.enum(["fatal", "error", "warn", "info", "debug", "trace", "silent"]).default("info"),
  /** `pretty`: readable lines for a terminal; `json`: one JSON object per line. Default: pretty when stdout is a terminal. */
  LOG_FORMAT: z.enum(["pretty", "json"], { error: "must be pretty or json" }).optional(),
  /** Where this deployment is hosted, shown to admins on the account page (e.g. "eu-west", "self-hosted"). */
  VAULTDESK_REGION: z
    .string()
    .max(64)
    .regex(/^[A-Za-z0-9][A-Za-z0-9 ._-]*$/, "must be a short label of letters, digits, spaces and . _ - (e.g. eu-west)")
    .default("self-hosted"),
  /**
   * The sub-processors this installation's operator uses (hosting, mail relay, backups…), shown to
   * admins on the compliance page: a JSON array given as text (starting with `[`) or as the path of
   * a JSON file. Each entry: {"name", "purpose", "location"[, "url"]}. Unset: none listed.
   */
  VAULTDESK_SUBPROCESSORS: z.string().max(65_536).optional(),
  /** SMTP server for outgoing mail (help-center sign-in links), e.g. smtp://127.0.0.1:2525 or smtps://user:pass@mail.example.com. */
  VAULTDESK_SMTP_URL: z
    .string()
    .max(2048)
    .regex(/^smtps?:\/\/[^\s]+$/, "must be an smtp:// or smtps:// URL such as smtp://127.0.0.1:25 or smtps://user:password@mail.example.com")
    // Options in the URL's query would override the TLS settings (VAULTDESK_SMTP_RELAY_TLS): none are taken.
    .refine((u) => !u.includes("?") && !u.includes("#"), "must not carry options (?…): TLS is set with VAULTDESK_SMTP_RELAY_TLS and VAULTDESK_SMTP_RELAY_CA_FILE")
    .optional(),
  /**
   * TLS to the SMTP server of VAULTDESK_SMTP_URL (smtp://): `opportunistic` uses STARTTLS when the
   * server offers it; `required` refuses to send unless STARTTLS succeeds with a certificate that
   * verifies (against the system's CAs and VAULTDESK_SMTP_RELAY_CA_FILE). smtps:// is TLS from the start.
   */
  VAULTDESK_SMTP_RELAY_TLS: z.enum(["opportunistic", "required"]).default("opportunistic"),
  /** A PEM file of CA certificates to trust for the SMTP server besides the system's (a private relay). */
  VAULTDESK_SMTP_RELAY_CA_FILE: z.string().max(4096).optional(),
  /** The From address of outgoing mail. */
  VAULTDESK_MAIL_FROM: z
    .string()
    .max(320)
    .regex(/^([^<>\r\n]{0,200}<[^\s@<>]+@[^\s@<>]+>|[^\s@<>]+@[^\s@<>]+)$/, "must be an e-mail address, optionally with a name: Help <help@example.com>")
    .optional(),
  /** Background jobs (bulk ticket changes, outgoing mail) this process works on at a time; 0: none (other processes on the same PostgreSQL do them). */
  VAULTDESK_JOB_WORKERS: z.coerce.number().int().min(0).max(64).default(2),
  /** How often a process looks for jobs it was not told about (queued by another process, retries, left by a crash). */
  VAULTDESK_JOB_POLL_SECONDS: z.coerce.number().min(0.05).max(3600).default(3),
  /** How long a process holds a job without renewing its claim; another process takes the job over after that. */
  VAULTDESK_JOB_LEASE_SECONDS: z.coerce.number().min(1).max(86_400).default(60),
  /** How long a finished job's status (with its per-item results) is kept before it is removed. */
  VAULTDESK_JOB_RETENTION_HOURS: z.coerce.number().min(0.01).max(24 * 365).default(24),
  /** Delays before each new attempt to send a mail the SMTP server refused or could not take; their number is the number of retries. */
  VAULTDESK_MAIL_RETRY_SECONDS: z
    .string()
    .max(200)
    .regex(/^\d+(\.\d+)?(,\d+(\.\d+)?)*$/, "must be a comma-separated list of seconds such as 30,120,600")
    .default("30,120,600"),
  /**
   * ClamAV's daemon, for scanning attachments: `tcp://host:port` or `unix:/path/to/clamd.sock`.
   * When set, no attachment is served until it was scanned clean.
   */
  VAULTDESK_CLAMD: z
    .string()
    .max(1024)
    .regex(/^(tcp:\/\/[A-Za-z0-9.\-:[\]]+:\d{1,5}|unix:\/[^\0]+)$/, "must be tcp://host:port or unix:/path/to/clamd.sock")
    .optional(),
  /**
   * clamd's StreamMaxLength in bytes (clamd's default is 25M: 26214400). A file larger than this
   * is recorded as unscannable without being sent: clamd would refuse it, and the refusal does not
   * always reach the client before clamd drops the connection.
   */
  VAULTDESK_CLAMD_MAX_BYTES: z.coerce.number().int().min(1024).max(4 * 1024 * 1024 * 1024).default(26_214_400),
  /** The largest attachment any tenant may accept (tenants choose a limit up to this). */
  VAULTDESK_ATTACHMENT_MAX_BYTES: z.coerce.number().int().min(1024).max(1024 * 1024 * 1024).default(100_000_000),
  /** Delays before each new attempt to scan a file while clamd cannot be reached; the last repeats. */
  VAULTDESK_SCAN_RETRY_SECONDS: z
    .string()
    .max(200)
    .regex(/^\d+(\.\d+)?(,\d+(\.\d+)?)*$/, "must be a comma-separated list of seconds such as 10,30,60,300")
    .default("10,30,60,300"),
  /**
   * The built-in SMTP server for inbound mail: `host:port` to listen on (e.g. 0.0.0.0:2525 or
   * [::]:25). Unset: no SMTP server runs.
   */
  VAULTDESK_SMTP_LISTEN: z
    .string()
    .max(300)
    .regex(/^(\[[0-9A-Fa-f:.]+\]|[A-Za-z0-9.-]+):\d{1,5}$/, "must be host:port such as 0.0.0.0:2525, 127.0.0.1:2525 or [::]:25")
    .refine((s) => Number(s.slice(s.lastIndexOf(":") + 1)) <= 65535, "the port must be at most 65535")
    .optional(),
  /** PEM certificate (chain) and key files for STARTTLS on the SMTP server; both or neither. */
  VAULTDESK_SMTP_TLS_CERT: z.string().min(1).max(4096).optional(),
  VAULTDESK_SMTP_TLS_KEY: z.string().min(1).max(4096).optional(),
  /** Largest inbound message accepted (bytes, headers and attachments included); larger ones get 552. */
  VAULTDESK_SMTP_MAX_BYTES: z.coerce.number().int().min(10_000).max(200 * 1024 * 1024).default(25 * 1024 * 1024),
  /** The domain of tenants' default support addresses: support@<subdomain>.<mail domain>. Default: the base domain. */
  VAULTDESK_MAIL_DOMAIN: z
    .string()
    .max(253)
    .regex(/^[a-z0-9]([a-z0-9-]*[a-z0-9])?(\.[a-z0-9]([a-z0-9-]*[a-z0-9])?)*$/, "must be a lower-case domain name such as mail.example.com")
    .optional(),
  /** DNS servers for the SPF, DKIM and DMARC lookups of inbound mail (`1.1.1.1`, `[::1]:5353`, comma-separated); default: the system's. */
  VAULTDESK_DNS_SERVERS: z
    .string()
    .max(1000)
    .refine((v) => v.split(",").every((x) => dnsServerOk(x.trim())), "must be IP addresses, optionally with a port (1.1.1.1, 127.0.0.1:5353, [::1]:53), separated by commas")
    .optional(),
  /** Inbound messages one sender may turn into tickets or comments per hour and tenant; more are dropped (flood protection). */
  VAULTDESK_MAIL_SENDER_LIMIT_PER_HOUR: z.coerce.number().int().min(1).max(100_000).default(20),
  /** Days between an owner closing the account and the upkeep crypto-shredding its data (account termination). */
  VAULTDESK_TERMINATION_GRACE_DAYS: z.coerce.number().int().min(1).max(3650).default(90),
  /** Seconds a change waits before the incremental exports give it (Zendesk: 60): longer than any write transaction runs. */
  VAULTDESK_INCREMENTAL_SETTLE_SECONDS: z.coerce.number().int().min(0).max(3600).default(60),
});

/** One sub-processor of the installation (VAULTDESK_SUBPROCESSORS). */
export const subprocessorSchema = z.strictObject({
  name: z.string().trim().min(1).max(200),
  purpose: z.string().trim().min(1).max(500),
  location: z.string().trim().min(1).max(200),
  url: z
    .url({ protocol: /^https$/, error: "must be an https:// address" })
    .max(2048)
    .optional(),
});
export type Subprocessor = z.infer<typeof subprocessorSchema>;

export type Config = Readonly<{
  port: number;
  host: string;
  dataDir: string;
  /** Root of the filesystem blob store (platform/blobs): `<blobDir>/<tenant id>/<purpose>/<id>`. */
  blobDir: string;
  databaseUrl: string | undefined;
  dbPoolSize: number;
  /** VAULTDESK_BENCH_ONLY_SKIP_SEARCH_INDEX: for the search benchmark only. */
  benchOnlySkipSearchIndex: boolean;
  masterKeyBase64: string | undefined;
  /** Tenants live at `<subdomain>.<baseDomain>`. */
  baseDomain: string;
  /** VAULTDESK_PUBLIC_URL; undefined: `http://<baseDomain>:<listening port>` (see platform/urls.ts). */
  publicUrl: URL | undefined;
  defaultTenant: string | undefined;
  rateLimitPerMinute: number;
  bodyLimitBytes: number;
  requestTimeoutMs: number;
  sessionIdleMinutes: number;
  passwordChecks: number;
  passwordCheckQueue: number;
  /** Wrong passwords checked per second per process (a right one does not count); the rest get 503. */
  passwordFailuresPerSecond: number;
  /** Sign-in requests a minute from one client network across all accounts (0: no such limit; each account's 30 still holds). */
  signinPerClientPerMinute: number;
  sessionMaxHours: number;
  /** Proxies trusted for X-Forwarded-*: none, or their addresses and CIDR ranges (platform/http/trusted-proxies.ts). */
  trustProxy: TrustProxy;
  webDist: string | undefined;
  logLevel: z.infer<typeof envSchema>["LOG_LEVEL"];
  logFormat: "pretty" | "json";
  region: string;
  /** VAULTDESK_TERMINATION_GRACE_DAYS: a closed account's data is shredded this many days after closing. */
  terminationGraceDays: number;
  /** VAULTDESK_INCREMENTAL_SETTLE_SECONDS, in milliseconds: how old a change must be before an incremental export gives it. */
  incrementalSettleMs: number;
  /** The operator's sub-processors (VAULTDESK_SUBPROCESSORS), in the order given. */
  subprocessors: readonly Readonly<Subprocessor>[];
  /** Outgoing mail; undefined when no SMTP server is configured (e-mail sign-in is then off). */
  smtpUrl: string | undefined;
  relayTls: "opportunistic" | "required";
  /** PEM text of extra CAs for the SMTP relay (read at start). */
  relayCa: string | undefined;
  mailFrom: string | undefined;
  jobWorkers: number;
  jobPollMs: number;
  jobLeaseMs: number;
  jobRetentionMs: number;
  /** Delays (ms) before each retry of an outgoing mail. */
  mailRetryMs: readonly number[];
  /** ClamAV's daemon for attachment scanning; undefined: files are not scanned. */
  clamd: { host: string; port: number } | { socket: string } | undefined;
  /** clamd's StreamMaxLength: larger files are not sent, and recorded as unscannable. */
  clamdMaxBytes: number;
  attachmentMaxBytes: number;
  /** Delays (ms) before each new scan attempt while clamd is away; the last repeats. */
  scanRetryMs: readonly number[];
  /** Inbound SMTP (platform/smtp-in.ts); undefined: no SMTP server runs. */
  smtpListen: { host: string; port: number } | undefined;
  /** STARTTLS certificate and key (PEM file paths); undefined: STARTTLS is not offered. */
  smtpTls: { certFile: string; keyFile: string } | undefined;
  smtpMaxBytes: number;
  /** Default support addresses are support@<subdomain>.<mailDomain>. */
  mailDomain: string;
  mailSenderLimitPerHour: number;
  /** DNS servers for inbound mail's checks; undefined: the system's. */
  dnsServers: readonly string[] | undefined;
}>;

export class ConfigError extends Error {}

function readCaFile(file: string | undefined): string | undefined {
  if (file === undefined) return undefined;
  let text: string;
  try {
    text = fs.readFileSync(file, "utf8");
  } catch (err) {
    throw new ConfigError(`VAULTDESK_SMTP_RELAY_CA_FILE: cannot read ${file} (${(err as NodeJS.ErrnoException).code ?? "error"})`);
  }
  if (!text.includes("-----BEGIN CERTIFICATE-----")) throw new ConfigError(`VAULTDESK_SMTP_RELAY_CA_FILE: ${file} holds no PEM certificate`);
  return text;
}

function clamdAddress(v: string | undefined): Config["clamd"] {
  if (v === undefined) return undefined;
  if (v.startsWith("unix:")) return { socket: v.slice("unix:".length) };
  const u = new URL(v);
  return { host: u.hostname.replace(/^\[|\]$/g, ""), port: Number(u.port) };
}

function listenAddress(v: string | undefined): Config["smtpListen"] {
  if (v === undefined) return undefined;
  const at = v.lastIndexOf(":");
  return { host: v.slice(0, at).replace(/^\[|\]$/g, ""), port: Number(v.slice(at + 1)) };
}

/** VAULTDESK_SUBPROCESSORS: JSON text (`[…]`) or the path of a JSON file, checked at start. */
function readSubprocessors(v: string | undefined): readonly Readonly<Subprocessor>[] {
  if (v === undefined) return Object.freeze([]);
  const name = "VAULTDESK_SUBPROCESSORS";
  let text = v.trim();
  const inline = text.startsWith("[");
  if (!inline) {
    try {
      text = fs.readFileSync(path.resolve(text), "utf8");
    } catch (err) {
      throw new ConfigError(`Invalid configuration:\n  ${name}: cannot read ${text} (${(err as NodeJS.ErrnoException).code ?? "error"}); give a JSON array or the path of a JSON file`);
    }
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    throw new ConfigError(`Invalid configuration:\n  ${name}: ${inline ? "is not valid JSON" : "the file is not valid JSON"}; expected [{"name","purpose","location","url"?}, …]`);
  }
  const parsed = z.array(subprocessorSchema).max(200).safeParse(json);
  if (!parsed.success) {
    const lines = parsed.error.issues.slice(0, 5).map((i) => `  ${name}${i.path.map((k) => (typeof k === "number" ? `[${k}]` : `.${String(k)}`)).join("")}: ${i.message}`);
    throw new ConfigError(`Invalid configuration:\n${lines.join("\n")}`);
  }
  return Object.freeze(parsed.data.map((x) => Object.freeze(x)));
}

/**
 * Two connections per CPU core, at least four. More connections than the cores can run only add
 * context switches and lock waits: on a 2-core machine the create benchmark ran 1.5–1.8× faster
 * with 4 connections than with 20 (bench/README.md). Operators whose PostgreSQL runs on a larger
 * machine set VAULTDESK_DB_POOL_SIZE.
 */
export function defaultPoolSize(): number {
  return Math.max(4, 2 * os.availableParallelism());
}

/** Build the configuration from environment variables, with command-line flags taking precedence. */
export function loadConfig(
  env: NodeJS.ProcessEnv,
  overrides: { port?: string | undefined; dataDir?: string | undefined; stdoutIsTTY?: boolean } = {},
): Config {
  const merged: Record<string, string | undefined> = { ...env };
  if (overrides.port !== undefined) merged.PORT = overrides.port;
  if (overrides.dataDir !== undefined) merged.VAULTDESK_DATA_DIR = overrides.dataDir;
  // Empty strings count as unset, as operators often write `FOO=` in env files.
  for (const k of Object.keys(merged)) if (merged[k] === "") delete merged[k];
  const parsed = envSchema.safeParse(merged);
  if (!parsed.success) {
    const lines = parsed.error.issues.map((i) => `  ${i.path.join(".")}: ${i.message}`);
    throw new ConfigError(`Invalid configuration:\n${lines.join("\n")}`);
  }
  const e = parsed.data;
  const publicUrl = e.VAULTDESK_PUBLIC_URL === undefined ? undefined : new URL(e.VAULTDESK_PUBLIC_URL);
  const baseDomain = e.VAULTDESK_BASE_DOMAIN ?? publicUrl?.hostname ?? "localhost";
  if (publicUrl && publicUrl.hostname !== baseDomain) {
    throw new ConfigError(
      `Invalid configuration:\n  VAULTDESK_PUBLIC_URL: its host (${publicUrl.hostname}) must be VAULTDESK_BASE_DOMAIN (${baseDomain}); tenants are served at <subdomain>.${baseDomain}`,
    );
  }
  const dataDir = path.resolve(e.VAULTDESK_DATA_DIR);
  if ((e.VAULTDESK_SMTP_TLS_CERT === undefined) !== (e.VAULTDESK_SMTP_TLS_KEY === undefined)) {
    throw new ConfigError("Invalid configuration:\n  VAULTDESK_SMTP_TLS_CERT and VAULTDESK_SMTP_TLS_KEY: set both (PEM certificate and key files) or neither");
  }
  return Object.freeze({
    port: e.PORT,
    host: e.HOST,
    dataDir,
    blobDir: e.VAULTDESK_BLOB_DIR === undefined ? path.join(dataDir, "blobs") : path.resolve(e.VAULTDESK_BLOB_DIR),
    databaseUrl: e.DATABASE_URL,
    dbPoolSize: e.VAULTDESK_DB_POOL_SIZE ?? defaultPoolSize(),
    benchOnlySkipSearchIndex: e.VAULTDESK_BENCH_ONLY_SKIP_SEARCH_INDEX === "1",
    masterKeyBase64: e.VAULTDESK_MASTER_KEY,
    baseDomain,
    publicUrl,
    defaultTenant: e.VAULTDESK_DEFAULT_TENANT,
    rateLimitPerMinute: e.VAULTDESK_RATE_LIMIT_PER_MINUTE,
    bodyLimitBytes: e.VAULTDESK_BODY_LIMIT_BYTES,
    requestTimeoutMs: e.VAULTDESK_REQUEST_TIMEOUT_SECONDS * 1000,
    sessionIdleMinutes: e.VAULTDESK_SESSION_IDLE_MINUTES,
    passwordChecks: e.VAULTDESK_PASSWORD_CHECKS ?? Math.max(1, Math.floor(os.availableParallelism() / 2)),
    passwordCheckQueue: e.VAULTDESK_PASSWORD_CHECK_QUEUE,
    passwordFailuresPerSecond: e.VAULTDESK_PASSWORD_FAILURES_PER_SECOND ?? 4 * os.availableParallelism(),
    signinPerClientPerMinute: e.VAULTDESK_SIGNIN_PER_CLIENT_PER_MINUTE,
    sessionMaxHours: e.VAULTDESK_SESSION_MAX_HOURS,
    trustProxy: e.VAULTDESK_TRUST_PROXY,
    webDist: e.VAULTDESK_WEB_DIST === undefined ? undefined : path.resolve(e.VAULTDESK_WEB_DIST),
    logLevel: e.LOG_LEVEL,
    logFormat: e.LOG_FORMAT ?? (overrides.stdoutIsTTY ? "pretty" : "json"),
    region: e.VAULTDESK_REGION,
    terminationGraceDays: e.VAULTDESK_TERMINATION_GRACE_DAYS,
    incrementalSettleMs: e.VAULTDESK_INCREMENTAL_SETTLE_SECONDS * 1000,
    subprocessors: readSubprocessors(e.VAULTDESK_SUBPROCESSORS),
    smtpUrl: e.VAULTDESK_SMTP_URL,
    relayTls: e.VAULTDESK_SMTP_RELAY_TLS,
    relayCa: readCaFile(e.VAULTDESK_SMTP_RELAY_CA_FILE),
    mailFrom: e.VAULTDESK_MAIL_FROM,
    jobWorkers: e.VAULTDESK_JOB_WORKERS,
    jobPollMs: Math.round(e.VAULTDESK_JOB_POLL_SECONDS * 1000),
    jobLeaseMs: Math.round(e.VAULTDESK_JOB_LEASE_SECONDS * 1000),
    jobRetentionMs: Math.round(e.VAULTDESK_JOB_RETENTION_HOURS * 3_600_000),
    mailRetryMs: Object.freeze(e.VAULTDESK_MAIL_RETRY_SECONDS.split(",").map((x) => Math.round(Number(x) * 1000))),
    clamd: clamdAddress(e.VAULTDESK_CLAMD),
    clamdMaxBytes: e.VAULTDESK_CLAMD_MAX_BYTES,
    attachmentMaxBytes: e.VAULTDESK_ATTACHMENT_MAX_BYTES,
    scanRetryMs: Object.freeze(e.VAULTDESK_SCAN_RETRY_SECONDS.split(",").map((x) => Math.round(Number(x) * 1000))),
    smtpListen: listenAddress(e.VAULTDESK_SMTP_LISTEN),
    smtpTls: e.VAULTDESK_SMTP_TLS_CERT && e.VAULTDESK_SMTP_TLS_KEY ? { certFile: path.resolve(e.VAULTDESK_SMTP_TLS_CERT), keyFile: path.resolve(e.VAULTDESK_SMTP_TLS_KEY) } : undefined,
    smtpMaxBytes: e.VAULTDESK_SMTP_MAX_BYTES,
    mailDomain: e.VAULTDESK_MAIL_DOMAIN ?? baseDomain,
    mailSenderLimitPerHour: e.VAULTDESK_MAIL_SENDER_LIMIT_PER_HOUR,
    dnsServers: e.VAULTDESK_DNS_SERVERS === undefined ? undefined : Object.freeze(e.VAULTDESK_DNS_SERVERS.split(",").map((x) => x.trim())),
  });
}
