import type { Config } from "../platform/config.ts";
import type { Keyring } from "../platform/crypto/keyring.ts";
import type { Database } from "../platform/db/database.ts";
import type { Logger } from "../platform/logging.ts";
import type { RateLimiter } from "./rate-limit.ts";
import type { SetupGate } from "../modules/setup/setup-service.ts";

/** What the HTTP layer and modules are built from. */
export interface AppDeps {
  readonly config: Config;
  readonly db: Database;
  readonly keyring: Keyring;
  readonly logger: Logger;
  readonly rateLimiter: RateLimiter;
  /** Wall clock, injectable for tests of expiry. */
  readonly now: () => Date;
  /** First-run gate; absent when the process was started without one (tests, CLI). */
  readonly setup?: SetupGate | undefined;
}

export type ResolvedTenant = { id: string; subdomain: string; region: string };

declare module "fastify" {
  interface FastifyRequest {
    tenant: ResolvedTenant | undefined;
    passwordChangeRequired: boolean;
  }
}
