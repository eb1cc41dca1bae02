import type { Config } from "./config.ts";

/**
 * Every absolute URL the server writes — links in mail (sign-in, invitations), the API's `url`
 * fields, pagination links, the console's setup link — is built here from configuration, never
 * from a request's Host header: a forged Host must not be able to send a customer a link to
 * another site.
 *
 * The installation's origin is VAULTDESK_PUBLIC_URL (scheme, host, port), or, when it is unset,
 * `http://<base domain>:<port the server listens on>`. A tenant lives at
 * `<subdomain>.<base domain>` with the same scheme and port; the default tenant is also served on
 * the bare base domain, and its links use that.
 */
export type TenantAddress = { subdomain: string; isDefault: boolean };

export class PublicUrls {
  #listenPort: number | undefined;

  constructor(private readonly config: Pick<Config, "publicUrl" | "baseDomain" | "port">) {}

  /** Called once the server listens, so that links name the real port when no public URL is set. */
  listening(port: number): void {
    this.#listenPort = port;
  }

  /** The installation's own origin (the bare base domain). */
  get origin(): string {
    if (this.config.publicUrl) return this.config.publicUrl.origin;
    return `http://${this.config.baseDomain}:${this.#listenPort ?? this.config.port}`;
  }

  /** `scheme://<subdomain>.<base domain>[:port]`, or the bare origin for the default tenant. */
  tenantOrigin(t: TenantAddress): string {
    const base = new URL(this.origin);
    if (!t.isDefault) base.hostname = `${t.subdomain}.${this.config.baseDomain}`;
    return base.origin;
  }

  /** The API root of a tenant, for `url` fields: `…/api/v2`. */
  apiBase(t: TenantAddress): string {
    return `${this.tenantOrigin(t)}/api/v2`;
  }

  /**
   * The absolute URL of a request's path and query on its tenant's origin (for page links). Only
   * the path and query of what the client sent are kept: an absolute-form request target cannot
   * move the link to another host.
   */
  requestUrl(t: TenantAddress, pathAndQuery: string): URL {
    const given = new URL(pathAndQuery.startsWith("/") ? pathAndQuery : "/", "http://invalid.invalid");
    // Set as parts, never parsed again: a path such as `//host` cannot become an authority.
    const u = new URL(this.tenantOrigin(t));
    u.pathname = given.pathname;
    u.search = given.search;
    return u;
  }
}
