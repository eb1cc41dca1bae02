import crypto from "node:crypto";
import { actorUser, type RequestContext } from "../../platform/context.ts";
import { refsOf } from "../../platform/crypto/sealed-columns.ts";
import type { AppDeps } from "../../platform/deps.ts";
import { forbidden, invalid, notFound } from "../../platform/errors.ts";
import type { DkimKey } from "../../platform/mail.ts";
import { audit } from "../audit/audit-service.ts";
import { mailPolicy } from "./mail-policy.ts";
import * as repo from "./mail-repo.ts";

/**
 * DKIM for a team's own mail domains. An admin adds a domain: the server makes an RSA-2048 key
 * pair (Node's crypto), seals the private key, and shows the TXT record to publish at
 * `<selector>._domainkey.<domain>`. A check reads DNS (the injectable resolver) and marks the key
 * verified only when the published `p=` is this key. The mail job then signs each message From an
 * address at a verified domain (nodemailer's signer, at sending time: a key removed or replaced
 * meanwhile is not used). Receivers check the signature against DNS; DMARC alignment holds when
 * From's domain is the key's.
 */

const kref = refsOf("dkim_keys");

export type DkimKeyView = {
  id: string;
  domain: string;
  selector: string;
  status: "pending" | "verified";
  checked_at: string | null;
  created_at: string;
  dns_record: { name: string; type: "TXT"; value: string };
};

const recordValue = (publicKey: string) => `v=DKIM1; k=rsa; p=${publicKey}`;

function present(ctx: RequestContext, r: repo.DkimKeyRow): DkimKeyView {
  const domain = ctx.sealer.open(r.domain_sealed, kref(r.id, "domain"));
  return {
    id: r.id,
    domain,
    selector: r.selector,
    status: r.status,
    checked_at: r.checked_at?.toISOString() ?? null,
    created_at: r.created_at.toISOString(),
    dns_record: { name: `${r.selector}._domainkey.${domain}`, type: "TXT", value: recordValue(r.public_key) },
  };
}

function requireAdmin(ctx: RequestContext): void {
  if (!mailPolicy.manageAddresses(actorUser(ctx))) throw forbidden();
}

export async function listKeys(ctx: RequestContext): Promise<DkimKeyView[]> {
  requireAdmin(ctx);
  return (await repo.listDkimKeys(ctx.tx)).map((r) => present(ctx, r));
}

export async function createKey(deps: Pick<AppDeps, "config">, ctx: RequestContext, domain: string): Promise<DkimKeyView> {
  requireAdmin(ctx);
  const d = domain.toLowerCase();
  const mailDomain = deps.config.mailDomain.toLowerCase();
  if (d === mailDomain || d.endsWith(`.${mailDomain}`)) throw invalid("domain", `Domain: ${mailDomain} is the installation's; its mail is signed by whoever runs it`);
  const existing = (await repo.listDkimKeys(ctx.tx)).filter((r) => ctx.sealer.open(r.domain_sealed, kref(r.id, "domain")) === d);
  if (existing.length > 0) throw invalid("domain", "Domain: it has a key already; remove it first to make a new one", "DuplicateValue");
  // Generated outside the database's hands; ~100 ms of CPU for RSA-2048 (an admin action, rare).
  const { publicKey, privateKey } = crypto.generateKeyPairSync("rsa", { modulusLength: 2048 });
  const id = crypto.randomUUID();
  const selector = `vd${new Date(ctx.now()).toISOString().slice(0, 10).replace(/-/g, "")}`;
  await repo.insertDkimKey(ctx.tx, {
    id,
    domain_sealed: ctx.sealer.seal(d, kref(id, "domain")),
    selector,
    public_key: publicKey.export({ type: "spki", format: "der" }).toString("base64"),
    private_key_sealed: ctx.sealer.seal(privateKey.export({ type: "pkcs8", format: "pem" }).toString(), kref(id, "private_key")),
  });
  audit(ctx, { action: "dkim_key.created", resourceType: "dkim_key", resourceId: id, fields: ["domain"] });
  return present(ctx, (await repo.findDkimKey(ctx.tx, id))!);
}

/** Reads the TXT record and records whether it publishes this key. */
export async function checkKey(deps: Pick<AppDeps, "dnsResolver">, ctx: RequestContext, id: string): Promise<DkimKeyView> {
  requireAdmin(ctx);
  const r = await repo.findDkimKey(ctx.tx, id);
  if (!r) throw notFound();
  const view = present(ctx, r);
  let records: string[] = [];
  try {
    const answer = await deps.dnsResolver(view.dns_record.name, "TXT");
    // A TXT record comes as its strings; long keys are split into several.
    records = answer.map((x) => (Array.isArray(x) ? x.join("") : x));
  } catch {
    records = [];
  }
  const published = records.some((txt) => /(?:^|;)\s*p=([A-Za-z0-9+/=]+)/.exec(txt.replace(/\s+/g, " "))?.[1] === r.public_key);
  await repo.setDkimStatus(ctx.tx, id, published ? "verified" : "pending", ctx.now());
  audit(ctx, { action: "dkim_key.checked", resourceType: "dkim_key", resourceId: id, fields: ["status"] });
  return present(ctx, (await repo.findDkimKey(ctx.tx, id))!);
}

export async function deleteKey(ctx: RequestContext, id: string): Promise<void> {
  requireAdmin(ctx);
  if (!(await repo.deleteDkimKey(ctx.tx, id))) throw notFound();
  audit(ctx, { action: "dkim_key.deleted", resourceType: "dkim_key", resourceId: id });
}

/** For the mail job: the verified key for the domain of `from` ("Name <a@b>" or "a@b"), if any. */
export async function dkimKeyFor(deps: Pick<AppDeps, "db" | "keyring">, tenantId: string, from: string): Promise<DkimKey | undefined> {
  const address = /<([^<>]+)>\s*$/.exec(from)?.[1] ?? from;
  const domain = address.split("@")[1]?.trim().toLowerCase();
  if (!domain) return undefined;
  return deps.db.tenant(tenantId, async (tx) => {
    const sealer = await deps.keyring.sealerFor(tx);
    for (const r of await repo.listDkimKeys(tx)) {
      if (r.status !== "verified" || sealer.open(r.domain_sealed, kref(r.id, "domain")) !== domain) continue;
      return { domainName: domain, keySelector: r.selector, privateKey: sealer.open(r.private_key_sealed, kref(r.id, "private_key")) };
    }
    return undefined;
  });
}
