import type { BlobStore } from "./blobs/blob-store.ts";
import type { Config } from "./config.ts";
import type { MalwareScanner } from "./malware-scan.ts";
import type { RequestContext } from "./context.ts";
import type { Keyring } from "./crypto/keyring.ts";
import type { Database } from "./db/database.ts";
import type { Authenticator } from "./http/authenticator.ts";
import type { SupportPasses } from "./http/support-passes.ts";
import type { Hooks } from "./hooks.ts";
import type { JobRunner, Upkeep } from "./jobs/job-runner.ts";
import type { Logger } from "./logging.ts";
import type { Mailer } from "./mail.ts";
import type { RateLimiter } from "./rate-limiter.ts";
import type { SetupToken } from "./setup-token.ts";
import type { DnsResolver } from "./smtp-in.ts";
import type { PublicUrls } from "./urls.ts";

/**
 * What the HTTP layer and the modules are built from. The server assembles it once (buildApp);
 * modules receive it in `register(app, deps)` and pass services only the parts they need.
 */
export interface AppDeps {
  readonly config: Config;
  readonly db: Database;
  readonly keyring: Keyring;
  readonly logger: Logger;
  readonly rateLimiter: RateLimiter;
  /** Wall clock, injectable for tests of expiry, retention and purge. */
  readonly now: () => Date;
  /** Every absolute URL the server writes (links in mail, `url` fields, page links) comes from here. */
  readonly urls: PublicUrls;
  /** Outgoing mail (VAULTDESK_SMTP_URL); `available` is false without a server. */
  readonly mailer: Mailer;
  /** Durable background jobs; modules define their kinds of job on it while they register. */
  readonly jobs: JobRunner;
  /** Turns a request's credentials into an actor (provided by the identity module). */
  readonly authenticator: Authenticator;
  /** One-request passes of the operator's support access (http/support-passes.ts); one registry per app. */
  readonly supportPasses: SupportPasses;
  /** What modules run when another announces a write (platform/hooks.ts); one registry per app. */
  readonly hooks: Hooks<RequestContext>;
  /** First-run gate; absent when the process was started without one (tests, CLI). */
  readonly setup?: SetupToken | undefined;
  /** Where sealed files live (attachments, exports): modules use platform/blobs' sealed API on it. */
  readonly blobs: BlobStore;
  /** ClamAV's daemon (VAULTDESK_CLAMD); undefined: files are not scanned. */
  readonly scanner: MalwareScanner | undefined;
  /** DNS lookups of inbound mail's SPF, DKIM and DMARC checks (tests answer from a table). */
  readonly dnsResolver: DnsResolver;
}

/** What a caller gives buildApp; the server adds URLs, mail, jobs and authentication. */
export type AppInput = Pick<AppDeps, "config" | "db" | "keyring" | "logger" | "rateLimiter" | "now"> & {
  readonly setup?: SetupToken | undefined;
  /** Replaces the mailer built from the configuration (tests of failing mail servers). */
  readonly mailer?: Mailer | undefined;
  /** Replaces the blob store and scanner built from the configuration (tests). */
  readonly blobs?: BlobStore | undefined;
  readonly scanner?: MalwareScanner | undefined;
  /** Replaces the system's DNS resolver for inbound mail's checks (tests: never the network). */
  readonly dnsResolver?: DnsResolver | undefined;
};

/** The tenant a request's host selects. `isDefault`: served on the bare base domain too. */
export type ResolvedTenant = { id: string; subdomain: string; region: string; isDefault: boolean };

declare module "fastify" {
  interface FastifyInstance {
    /** The app's hooks (what tests and the server itself may listen to). */
    hooks: Hooks<RequestContext>;
    /** The app's support passes: the operator's support requests are minted and injected through them. */
    supportPasses: SupportPasses;
    /** The app's upkeep tasks, for the operator's `vaultdesk upkeep` commands. */
    upkeep: Upkeep;
  }
  interface FastifyRequest {
    tenant: ResolvedTenant | undefined;
    passwordChangeRequired: boolean;
    /** The tenant requires staff to use two-factor sign-in and this session's person has not enrolled. */
    twoFactorEnrolmentRequired: boolean;
    /** The request's credential is a session whose sign-in used a second factor or a passkey (IP restrictions' exception). */
    credentialSecondFactor: boolean;
  }
}
