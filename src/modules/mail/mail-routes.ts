import type { FastifyInstance } from "fastify";
import { z } from "zod";
import type { AppDeps } from "../../platform/deps.ts";
import { listEnvelope, pageEnvelope, parsePage } from "../../platform/http/pagination.ts";
import { defineRoute } from "../../platform/http/route.ts";
import { idList, pageQuery, publicIdParam } from "../../platform/schemas.ts";
import { startSmtpIn, type SmtpIn } from "../../platform/smtp-in.ts";
import { showTicket } from "../tickets/tickets-service.ts";
import { ticketView } from "../tickets/tickets-types.ts";
import * as addresses from "./addresses-service.ts";
import { inboundHandler } from "./inbound-service.ts";
import { inboundJob } from "./inbound-job.ts";
import { forgetPurgedTicketMail, mailRetention } from "./mail-retention.ts";
import { addressNotification } from "./outgoing-service.ts";
import * as dkim from "./dkim-service.ts";
import { showMailSettings, updateMailSettings } from "./mail-settings-service.ts";
import { mailSettingsInput, mailSettingsView, recipientAddressCreate, recipientAddressUpdate, recipientAddressView, suspendedTicketView, verifyInput } from "./mail-types.ts";
import * as suspended from "./suspended-service.ts";

declare module "fastify" {
  interface FastifyInstance {
    /** The inbound SMTP server, once the app is ready (undefined when VAULTDESK_SMTP_LISTEN is unset). */
    smtpIn: SmtpIn | undefined;
  }
}

/**
 * The e-mail channel: Zendesk's support addresses (`/recipient_addresses`, admins) and suspended
 * tickets (`/suspended_tickets`, agents), the tenant's mail settings (blocked senders), the inbound
 * processing job, and the built-in SMTP server (started when the app is ready, when configured).
 */
export function register(app: FastifyInstance, deps: AppDeps): void {
  deps.jobs.define(inboundJob(deps, app.log));
  for (const task of mailRetention(deps)) deps.jobs.maintain(task);
  deps.hooks.on("notification.addressing", addressNotification(deps));
  deps.hooks.on("conversation.written", forgetPurgedTicketMail);
  app.decorate("smtpIn", undefined);
  if (deps.config.smtpListen) {
    app.addHook("onReady", async () => {
      app.smtpIn = await startSmtpIn(deps.config, inboundHandler(deps, app.log), app.log);
    });
    app.addHook("onClose", async () => {
      await app.smtpIn?.close();
    });
  }

  defineRoute(app, deps, {
    method: "GET", url: "/api/v2/recipient_addresses", operationId: "listRecipientAddresses", tag: "recipient_addresses", auth: "user",
    summary: "The account's support addresses; the default support@<subdomain>.<mail domain> is always listed.",
    query: pageQuery, response: listEnvelope("recipient_addresses", recipientAddressView),
    handler: async (ctx, { query, url, tenant }) => {
      const page = parsePage(query);
      const { views, count } = await addresses.listAddresses(deps, ctx, page, tenant.subdomain);
      const env = pageEnvelope(page, views, count, url);
      return { recipient_addresses: env.items, ...env.extra };
    },
  });
  defineRoute(app, deps, {
    method: "GET", url: "/api/v2/recipient_addresses/:id", operationId: "showRecipientAddress", tag: "recipient_addresses", auth: "user",
    params: publicIdParam, response: z.object({ recipient_address: recipientAddressView }),
    handler: async (ctx, { params }) => ({ recipient_address: await addresses.showAddress(ctx, params.id) }),
  });
  defineRoute(app, deps, {
    method: "POST", url: "/api/v2/recipient_addresses", operationId: "createRecipientAddress", tag: "recipient_addresses", auth: "user",
    summary: "Adds one of the team's own addresses (forwarded to the default one); a test message is sent to verify the forwarding.",
    body: z.strictObject({ recipient_address: recipientAddressCreate }), response: z.object({ recipient_address: recipientAddressView }),
    handler: async (ctx, { body, tenant }) => ({ recipient_address: await addresses.createAddress(deps, ctx, body.recipient_address, tenant.subdomain) }),
  });
  defineRoute(app, deps, {
    method: "PUT", url: "/api/v2/recipient_addresses/:id", operationId: "updateRecipientAddress", tag: "recipient_addresses", auth: "user",
    params: publicIdParam, body: z.strictObject({ recipient_address: recipientAddressUpdate }), response: z.object({ recipient_address: recipientAddressView }),
    handler: async (ctx, { params, body }) => ({ recipient_address: await addresses.updateAddress(ctx, params.id, body.recipient_address) }),
  });
  defineRoute(app, deps, {
    method: "PUT", url: "/api/v2/recipient_addresses/:id/verify", operationId: "verifyRecipientAddress", tag: "recipient_addresses", auth: "user",
    summary: "Sends the forwarding test message again (`type: forwarding`).",
    params: publicIdParam, body: verifyInput, response: z.object({ recipient_address: recipientAddressView }),
    handler: async (ctx, { params }) => ({ recipient_address: await addresses.verifyAddress(deps, ctx, params.id) }),
  });
  defineRoute(app, deps, {
    method: "DELETE", url: "/api/v2/recipient_addresses/:id", operationId: "deleteRecipientAddress", tag: "recipient_addresses", auth: "user",
    params: publicIdParam, response: z.undefined(), status: 204,
    handler: async (ctx, { params }) => {
      await addresses.deleteAddress(ctx, params.id);
    },
  });

  defineRoute(app, deps, {
    method: "GET", url: "/api/v2/suspended_tickets", operationId: "listSuspendedTickets", tag: "suspended_tickets", auth: "user",
    query: pageQuery, response: listEnvelope("suspended_tickets", suspendedTicketView),
    handler: async (ctx, { query, url }) => {
      const page = parsePage(query);
      const { views, count } = await suspended.listSuspended(ctx, page);
      const env = pageEnvelope(page, views, count, url);
      return { suspended_tickets: env.items, ...env.extra };
    },
  });
  defineRoute(app, deps, {
    method: "GET", url: "/api/v2/suspended_tickets/:id", operationId: "showSuspendedTicket", tag: "suspended_tickets", auth: "user",
    params: publicIdParam, response: z.object({ suspended_ticket: suspendedTicketView }),
    handler: async (ctx, { params }) => ({ suspended_ticket: await suspended.showSuspended(ctx, params.id) }),
  });
  defineRoute(app, deps, {
    method: "PUT", url: "/api/v2/suspended_tickets/:id/recover", operationId: "recoverSuspendedTicket", tag: "suspended_tickets", auth: "user",
    summary: "Makes the held message the ticket or comment it would have been; answers the ticket.",
    params: publicIdParam, response: z.object({ ticket: ticketView }),
    prepare: async ({ req, inTenant }) => suspended.prepareRecovery(deps, inTenant, (publicIdParam.parse(req.params)).id),
    cleanup: (prepared) => suspended.dropRecoveryFiles(deps, prepared),
    handler: async (ctx, { params, prepared, tenant, afterCommit }) => {
      const niceId = await suspended.recoverSuspended(deps, ctx, params.id, prepared, tenant.subdomain, afterCommit);
      return { ticket: (await showTicket(ctx, niceId)).view };
    },
  });
  // Several at once (Zendesk's recover_many and destroy_many): all or nothing; an id that is not
  // one of the tenant's suspended tickets answers 404 and changes nothing.
  const manyQuery = z.object({ ids: idList });
  const recoverManyQuery = z.object({ ids: idList.refine((a) => a.length <= suspended.RECOVER_MANY_MAX, `at most ${suspended.RECOVER_MANY_MAX} ids`) });
  defineRoute(app, deps, {
    method: "PUT", url: "/api/v2/suspended_tickets/recover_many", operationId: "recoverManySuspendedTickets", tag: "suspended_tickets", auth: "user",
    summary: "Recovers several suspended tickets (`ids=1,2`, at most 10); answers their tickets.",
    query: recoverManyQuery, response: z.object({ tickets: z.array(ticketView) }),
    prepare: async ({ req, inTenant }) => {
      const out: suspended.PreparedRecovery[] = [];
      try {
        for (const id of (req.query as z.output<typeof recoverManyQuery>).ids) out.push(await suspended.prepareRecovery(deps, inTenant, id));
      } catch (err) {
        for (const p of out) await suspended.dropRecoveryFiles(deps, p).catch(() => undefined);
        throw err;
      }
      return out;
    },
    cleanup: async (prepared) => {
      for (const p of prepared) await suspended.dropRecoveryFiles(deps, p);
    },
    handler: async (ctx, { query, prepared, tenant, afterCommit }) => {
      const tickets = [];
      for (const [i, id] of query.ids.entries()) {
        const niceId = await suspended.recoverSuspended(deps, ctx, id, prepared[i]!, tenant.subdomain, afterCommit);
        tickets.push((await showTicket(ctx, niceId)).view);
      }
      return { tickets };
    },
  });
  defineRoute(app, deps, {
    method: "DELETE", url: "/api/v2/suspended_tickets/destroy_many", operationId: "deleteManySuspendedTickets", tag: "suspended_tickets", auth: "user",
    summary: "Deletes several suspended tickets (`ids=1,2`, at most 100) with their stored messages.",
    query: manyQuery, response: z.undefined(), status: 204,
    handler: async (ctx, { query, afterCommit }) => {
      for (const id of query.ids) await suspended.deleteSuspended(deps, ctx, id, afterCommit);
    },
  });
  defineRoute(app, deps, {
    method: "DELETE", url: "/api/v2/suspended_tickets/:id", operationId: "deleteSuspendedTicket", tag: "suspended_tickets", auth: "user",
    params: publicIdParam, response: z.undefined(), status: 204,
    handler: async (ctx, { params, afterCommit }) => {
      await suspended.deleteSuspended(deps, ctx, params.id, afterCommit);
    },
  });

  defineRoute(app, deps, {
    method: "GET", url: "/api/v2/mail_settings", operationId: "showMailSettings", tag: "mail_settings", auth: "user",
    summary: "Vaultdesk: the account's mail settings (senders whose mail is suspended).",
    response: z.object({ settings: mailSettingsView }),
    handler: async (ctx) => ({ settings: await showMailSettings(ctx) }),
  });
  defineRoute(app, deps, {
    method: "PUT", url: "/api/v2/mail_settings", operationId: "updateMailSettings", tag: "mail_settings", auth: "user",
    body: z.strictObject({ settings: mailSettingsInput }), response: z.object({ settings: mailSettingsView }),
    handler: async (ctx, { body }) => ({ settings: await updateMailSettings(ctx, body.settings) }),
  });

  const dkimView = z.object({
    id: z.string(), domain: z.string(), selector: z.string(), status: z.enum(["pending", "verified"]), checked_at: z.string().nullable(), created_at: z.string(),
    dns_record: z.object({ name: z.string(), type: z.literal("TXT"), value: z.string() }),
  });
  const dkimId = z.object({ id: z.string().uuid() });
  const domainName = z
    .string()
    .trim()
    .toLowerCase()
    .max(253)
    .regex(/^(?=.{1,253}$)([a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z]{2,63}$/, "must be a domain name such as acme.example");
  defineRoute(app, deps, {
    method: "GET", url: "/api/v2/dkim_keys", operationId: "listDkimKeys", tag: "mail_settings", auth: "user",
    summary: "Vaultdesk: DKIM keys for the team's own mail domains, with the DNS record to publish (admins).",
    response: z.object({ dkim_keys: z.array(dkimView) }),
    handler: async (ctx) => ({ dkim_keys: await dkim.listKeys(ctx) }),
  });
  defineRoute(app, deps, {
    method: "POST", url: "/api/v2/dkim_keys", operationId: "createDkimKey", tag: "mail_settings", auth: "user",
    summary: "Makes a DKIM key pair for a domain of the team's (the private key is sealed); answers the TXT record to publish (admins).",
    body: z.strictObject({ dkim_key: z.strictObject({ domain: domainName }) }), response: z.object({ dkim_key: dkimView }),
    handler: async (ctx, { body }) => ({ dkim_key: await dkim.createKey(deps, ctx, body.dkim_key.domain) }),
  });
  defineRoute(app, deps, {
    method: "POST", url: "/api/v2/dkim_keys/:id/check", operationId: "checkDkimKey", tag: "mail_settings", auth: "user", status: 200,
    summary: "Reads the domain's DNS: the key is verified (and mail From the domain is signed) when DNS publishes it (admins).",
    params: dkimId, response: z.object({ dkim_key: dkimView }),
    handler: async (ctx, { params }) => ({ dkim_key: await dkim.checkKey(deps, ctx, params.id) }),
  });
  defineRoute(app, deps, {
    method: "DELETE", url: "/api/v2/dkim_keys/:id", operationId: "deleteDkimKey", tag: "mail_settings", auth: "user", status: 204,
    summary: "Removes a DKIM key: mail is no longer signed with it (admins).",
    params: dkimId, response: z.undefined(),
    handler: async (ctx, { params }) => dkim.deleteKey(ctx, params.id),
  });
}
