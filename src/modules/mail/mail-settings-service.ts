import { actorUser, type RequestContext } from "../../platform/context.ts";
import { refsOf } from "../../platform/crypto/sealed-columns.ts";
import { forbidden } from "../../platform/errors.ts";
import { audit } from "../audit/audit-service.ts";
import { mailPolicy } from "./mail-policy.ts";
import * as repo from "./mail-repo.ts";

/** A tenant's mail settings: the senders it refuses (addresses or @domains), sealed. */

const ref = (tenantId: string) => refsOf("mail_settings")(tenantId, "blocklist");

/** The blocklist (for the inbound job). */
export async function blocklistOf(ctx: RequestContext): Promise<string[]> {
  const r = await repo.findSettings(ctx.tx);
  return r?.blocklist_sealed ? ctx.sealer.openJson<string[]>(r.blocklist_sealed, ref(ctx.tx.tenantId)) : [];
}

export async function showMailSettings(ctx: RequestContext): Promise<{ blocklist: string[] }> {
  if (!mailPolicy.manageAddresses(actorUser(ctx))) throw forbidden("Only admins manage mail settings.");
  return { blocklist: await blocklistOf(ctx) };
}

export async function updateMailSettings(ctx: RequestContext, input: { blocklist: string[] }): Promise<{ blocklist: string[] }> {
  if (!mailPolicy.manageAddresses(actorUser(ctx))) throw forbidden("Only admins manage mail settings.");
  const list = [...new Set(input.blocklist)].sort();
  await repo.upsertSettings(ctx.tx, ctx.sealer.sealJson(list, ref(ctx.tx.tenantId)));
  audit(ctx, { action: "mail_settings.updated", resourceType: "mail_settings", resourceId: ctx.tx.tenantId, fields: ["blocklist"] });
  return { blocklist: list };
}
