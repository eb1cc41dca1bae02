import crypto from "node:crypto";
import { actorUser, type RequestContext } from "../../platform/context.ts";
import { refsOf } from "../../platform/crypto/sealed-columns.ts";
import type { AppDeps } from "../../platform/deps.ts";
import { forbidden, invalid, notFound } from "../../platform/errors.ts";
import type { Page } from "../../platform/http/pagination.ts";
import { queueMail } from "../../platform/jobs/mail-job.ts";
import { audit } from "../audit/audit-service.ts";
import { normalizeAddress } from "./mail-fns.ts";
import { mailPolicy } from "./mail-policy.ts";
import * as repo from "./mail-repo.ts";
import type { RecipientAddressView } from "./mail-types.ts";
import { defaultSupportAddress } from "./threading.ts";

/**
 * Support addresses (Zendesk's recipient addresses): the default support@<subdomain>.<mail
 * domain>, and the team's own addresses forwarded to it. An address routes inbound mail to its
 * tenant through a keyed hash under the installation's secret (`routeOf`), so the SMTP server
 * finds the tenant without any address in clear; one address belongs to one tenant.
 *
 * Forwarding is verified by a test message: a random token (only its keyed hash is kept) is sent
 * through the outbound mail job to the address; when the team's mail server forwards it back to
 * Vaultdesk's SMTP server, the inbound job sees the token and marks the address verified.
 */

export type AddressDeps = Pick<AppDeps, "keyring" | "config" | "mailer">;

const aref = refsOf("support_addresses");

/** The installation-wide routing hash of an address (tag removed, lower case). */
export const routeOf = (deps: Pick<AppDeps, "keyring">, address: string): Buffer => deps.keyring.hashSecret("mail.route", normalizeAddress(address));
/** The keyed hash of a forwarding-verification token. */
export const verificationHashOf = (deps: Pick<AppDeps, "keyring">, token: string): Buffer => deps.keyring.hashSecret("mail.forwarding", token);
/** The marker a forwarding test message carries in its subject and text. */
export const VERIFICATION_MARK = /\[vaultdesk-forwarding-check ([A-Za-z0-9_-]{32,64})\]/;

function admin(ctx: RequestContext) {
  const a = actorUser(ctx);
  if (!mailPolicy.manageAddresses(a)) throw forbidden("Only admins manage support addresses.");
  return a;
}

function present(ctx: RequestContext, r: repo.AddressRow): RecipientAddressView {
  return {
    id: r.nice_id,
    url: `${ctx.apiBase}/recipient_addresses/${r.nice_id}.json`,
    brand_id: null,
    default: r.is_default,
    name: r.name_sealed ? ctx.sealer.open(r.name_sealed, aref(r.id, "name")) : null,
    email: ctx.sealer.open(r.email_sealed, aref(r.id, "email")),
    forwarding_status: r.forwarding_status,
    spf_status: "unknown",
    cname_status: "unknown",
    domain_verification_status: "unknown",
    created_at: r.created_at.toISOString(),
    updated_at: r.updated_at.toISOString(),
  };
}

/**
 * The tenant's default address, created the first time it is needed (it needs no verification:
 * its domain is the installation's). Returns undefined when another tenant holds the address.
 */
export async function ensureDefaultAddress(deps: AddressDeps, ctx: RequestContext, subdomain: string): Promise<void> {
  const address = defaultSupportAddress(subdomain, deps.config.mailDomain);
  const route = routeOf(deps, address);
  if (await repo.findAddressByRoute(ctx.tx, route)) return;
  const existingDefault = await repo.findDefaultAddress(ctx.tx);
  const id = crypto.randomUUID();
  await repo.insertAddress(ctx.tx, {
    id,
    email_sealed: ctx.sealer.seal(address, aref(id, "email")),
    name_sealed: null,
    email_route: route,
    is_default: existingDefault === undefined,
    forwarding_status: "verified",
  });
}

/**
 * The address notifications are sent from: the default support address when its forwarding is
 * verified (a team's own address that does not reach Vaultdesk would lose the replies), else the
 * tenant's support@ address. With its display name, if it has one.
 */
export async function sendingAddressOf(deps: Pick<AppDeps, "config">, ctx: RequestContext, subdomain: string): Promise<{ email: string; name: string | null }> {
  const r = await repo.findDefaultAddress(ctx.tx);
  if (r && r.forwarding_status === "verified") {
    return { email: ctx.sealer.open(r.email_sealed, aref(r.id, "email")), name: r.name_sealed ? ctx.sealer.open(r.name_sealed, aref(r.id, "name")) : null };
  }
  return { email: defaultSupportAddress(subdomain, deps.config.mailDomain), name: null };
}

export async function listAddresses(deps: AddressDeps, ctx: RequestContext, page: Page, subdomain: string) {
  admin(ctx);
  await ensureDefaultAddress(deps, ctx, subdomain);
  const { rows, count } = await repo.listAddresses(ctx.tx, page);
  return { views: rows.map((r) => present(ctx, r)), count };
}

export async function showAddress(ctx: RequestContext, niceId: number): Promise<RecipientAddressView> {
  admin(ctx);
  const r = await repo.findAddress(ctx.tx, niceId);
  if (!r) throw notFound();
  return present(ctx, r);
}

/** Sends (again) the forwarding test message to an address; its status becomes `waiting`. */
async function sendVerification(deps: AddressDeps, ctx: RequestContext, r: { id: string }, address: string): Promise<void> {
  const token = crypto.randomBytes(24).toString("base64url");
  await repo.updateAddress(ctx.tx, r.id, { forwarding_status: "waiting", verification_hash: verificationHashOf(deps, token), verification_sent_at: ctx.now(), verified_at: null });
  await queueMail(ctx, deps.config.mailRetryMs, {
    to: address,
    subject: `Forwarding check for your support address [vaultdesk-forwarding-check ${token}]`,
    text: `This message checks that mail sent to ${address} is forwarded to your helpdesk.\nWhen it arrives there, the address is marked verified. Nothing needs doing.\n\n[vaultdesk-forwarding-check ${token}]\n`,
    language: "en",
  });
}

export async function createAddress(deps: AddressDeps, ctx: RequestContext, input: { email: string; name?: string | undefined; default?: boolean | undefined }, subdomain: string): Promise<RecipientAddressView> {
  admin(ctx);
  await ensureDefaultAddress(deps, ctx, subdomain);
  const address = normalizeAddress(input.email);
  if (address.includes("+")) throw invalid("email", "Email: a support address cannot carry a +tag (Vaultdesk adds reply tokens after a +)");
  const route = routeOf(deps, address);
  // One address, one tenant: another tenant's address is refused with the same words as our own.
  if ((await repo.findAddressByRoute(ctx.tx, route)) || (await repo.tenantOfRouteIn(ctx.tx, route))) throw invalid("email", "Email: this address is already a support address", "DuplicateValue");
  const mailDomain = deps.config.mailDomain;
  const domain = address.slice(address.lastIndexOf("@") + 1);
  if (domain === mailDomain || domain.endsWith(`.${mailDomain}`)) throw invalid("email", `Email: addresses at ${mailDomain} are the installation's; use the default support address`);
  const id = crypto.randomUUID();
  if (input.default) await repo.clearDefault(ctx.tx);
  const niceId = await repo.insertAddress(ctx.tx, {
    id,
    email_sealed: ctx.sealer.seal(address, aref(id, "email")),
    name_sealed: input.name ? ctx.sealer.seal(input.name, aref(id, "name")) : null,
    email_route: route,
    is_default: input.default ?? false,
    forwarding_status: "unknown",
  });
  if (deps.mailer.available) await sendVerification(deps, ctx, { id }, address);
  audit(ctx, { action: "recipient_address.created", resourceType: "recipient_address", resourceId: niceId, fields: ["email", ...(input.name ? ["name"] : []), ...(input.default ? ["default"] : [])] });
  return present(ctx, (await repo.findAddress(ctx.tx, niceId))!);
}

export async function updateAddress(ctx: RequestContext, niceId: number, input: { name?: string | null | undefined; default?: true | undefined }): Promise<RecipientAddressView> {
  admin(ctx);
  const r = await repo.findAddress(ctx.tx, niceId);
  if (!r) throw notFound();
  const fields: string[] = [];
  if (input.default && !r.is_default) {
    await repo.clearDefault(ctx.tx);
    fields.push("default");
  }
  if (input.name !== undefined) fields.push("name");
  await repo.updateAddress(ctx.tx, r.id, {
    ...(input.default ? { is_default: true } : {}),
    ...(input.name !== undefined ? { name_sealed: input.name ? ctx.sealer.seal(input.name, aref(r.id, "name")) : null } : {}),
  });
  if (fields.length) audit(ctx, { action: "recipient_address.updated", resourceType: "recipient_address", resourceId: niceId, fields });
  return present(ctx, (await repo.findAddress(ctx.tx, niceId))!);
}

/** Zendesk's `PUT /recipient_addresses/{id}/verify` with `type: forwarding`: sends the test message again. */
export async function verifyAddress(deps: AddressDeps, ctx: RequestContext, niceId: number): Promise<RecipientAddressView> {
  admin(ctx);
  const r = await repo.findAddress(ctx.tx, niceId);
  if (!r) throw notFound();
  const address = ctx.sealer.open(r.email_sealed, aref(r.id, "email"));
  const mailDomain = deps.config.mailDomain;
  if (address.endsWith(`.${mailDomain}`) || address.endsWith(`@${mailDomain}`)) return present(ctx, r);
  if (!deps.mailer.available) throw invalid("type", "Type: no outgoing mail server is configured (VAULTDESK_SMTP_URL), so no test message can be sent", "Unavailable");
  await sendVerification(deps, ctx, r, address);
  audit(ctx, { action: "recipient_address.verification_sent", resourceType: "recipient_address", resourceId: niceId, fields: ["forwarding_status"] });
  return present(ctx, (await repo.findAddress(ctx.tx, niceId))!);
}

export async function deleteAddress(ctx: RequestContext, niceId: number): Promise<void> {
  admin(ctx);
  const r = await repo.findAddress(ctx.tx, niceId);
  if (!r) throw notFound();
  if (r.is_default) throw invalid("default", "Default: the default support address cannot be deleted; make another address the default first");
  await repo.deleteAddress(ctx.tx, r.id);
  audit(ctx, { action: "recipient_address.deleted", resourceType: "recipient_address", resourceId: niceId });
}

/**
 * The inbound job's check: a forwarding test message came back. Marks the waiting address whose
 * token it carries verified; returns whether one matched.
 */
export async function completeForwardingCheck(deps: Pick<AppDeps, "keyring">, ctx: RequestContext, token: string): Promise<boolean> {
  const hash = verificationHashOf(deps, token);
  for (const r of await repo.waitingAddresses(ctx.tx)) {
    if (r.verification_hash && crypto.timingSafeEqual(Buffer.from(r.verification_hash), hash)) {
      await repo.updateAddress(ctx.tx, r.id, { forwarding_status: "verified", verification_hash: null, verified_at: ctx.now() });
      audit(ctx, { action: "recipient_address.verified", resourceType: "recipient_address", resourceId: r.nice_id, fields: ["forwarding_status"] });
      return true;
    }
  }
  return false;
}

/** Whether an address is one of the tenant's support addresses (recipients that are not CCs). */
export async function isSupportAddress(deps: Pick<AppDeps, "keyring">, ctx: RequestContext, address: string): Promise<boolean> {
  return (await repo.findAddressByRoute(ctx.tx, routeOf(deps, address))) !== undefined;
}
