import type { FastifyInstance } from "fastify";
import { z } from "zod";
import type { AppDeps } from "../../platform/deps.ts";
import { defineRoute } from "../../platform/http/route.ts";
import { lineText } from "../../platform/schemas.ts";
import * as service from "./notifications-service.ts";

const settingsView = z.object({
  request_received: z.boolean().describe("Tell the requester their new request arrived."),
  public_reply: z.boolean().describe("Tell the requester about a public reply."),
  solved: z.boolean().describe("Tell the requester their request was solved."),
  end_user_update: z.boolean().describe("Tell the assignee (or the group's agents) about a new request or a customer's reply."),
  cc_update: z.boolean().describe("Tell each person copied on a ticket (its CCs) about a public comment, in a mail of their own."),
  content_free: z.boolean().describe("Send only a link: no subject, no comment text."),
});
const settingsInput = z.object({ settings: settingsView.partial().strict() }).strict();

const eventName = z.enum(["request_received", "public_reply", "solved", "end_user_update", "cc_update"]);
const locale = z.enum(["en", "sv", "ja", "ko", "zh-CN"]);
const templateView = z.object({ event: eventName, locale, subject: z.string(), body: z.string(), customized: z.boolean(), updated_at: z.string().nullable() });
const templateInput = z
  .object({
    notification_template: z
      .object({
        subject: lineText(250).pipe(z.string().trim().min(1)),
        body: z.string().min(1).max(20_000),
      })
      .strict(),
  })
  .strict();
const templateParams = z.object({ event: eventName, locale });
const undeliveredView = z.object({ id: z.string(), to: z.string(), subject: z.string(), language: z.string(), attempts: z.number(), failed_at: z.string() });
const undeliveredId = z.object({ id: z.string().uuid() });

export function register(app: FastifyInstance, deps: AppDeps): void {
  deps.hooks.on("conversation.written", service.notifyOnWrite(deps));
  deps.hooks.on("conversation.written", service.reviseWaitingMail);
  deps.jobs.maintain({ name: "notifications.undelivered", everyMs: 6 * 3600_000, run: (now) => service.purgeOldUndelivered(deps, now).then(() => undefined) });

  defineRoute(app, deps, {
    method: "GET", url: "/api/v2/notification_settings", operationId: "showNotificationSettings", tag: "notifications", auth: "user",
    summary: "Which e-mail notifications this helpdesk sends, and whether they carry the text (admins).",
    response: z.object({ settings: settingsView }),
    handler: async (ctx) => ({ settings: await service.showSettings(ctx) }),
  });
  defineRoute(app, deps, {
    method: "PUT", url: "/api/v2/notification_settings", operationId: "updateNotificationSettings", tag: "notifications", auth: "user",
    // Turning content-free messages off sends ticket text by e-mail: only soon after a sign-in.
    recentSignIn: "change the notification settings",
    summary: "Turns each e-mail notification on or off, and content-free messages (admins).",
    body: settingsInput, response: z.object({ settings: settingsView }),
    handler: async (ctx, { body }) => {
      const input = Object.fromEntries(Object.entries(body.settings).filter(([, v]) => v !== undefined)) as Partial<service.NotificationSettings>;
      return { settings: await service.updateSettings(ctx, input) };
    },
  });

  defineRoute(app, deps, {
    method: "GET", url: "/api/v2/notification_templates", operationId: "listNotificationTemplates", tag: "notifications", auth: "user",
    summary: "The text of each notification in each language: the admin's where written, else the built-in one (admins).",
    response: z.object({ notification_templates: z.array(templateView), placeholders: z.array(z.string()) }),
    handler: async (ctx) => {
      const r = await service.listTemplates(ctx);
      return { notification_templates: r.templates, placeholders: [...r.placeholders] };
    },
  });
  defineRoute(app, deps, {
    method: "PUT", url: "/api/v2/notification_templates/:event/:locale", operationId: "updateNotificationTemplate", tag: "notifications", auth: "user",
    summary: "Replaces the built-in text of one notification in one language; `{{placeholders}}` are checked (admins).",
    params: templateParams, body: templateInput, response: z.object({ notification_template: templateView }),
    handler: async (ctx, { params, body }) => ({ notification_template: await service.saveTemplate(ctx, params.event, params.locale, body.notification_template) }),
  });
  defineRoute(app, deps, {
    method: "DELETE", url: "/api/v2/notification_templates/:event/:locale", operationId: "resetNotificationTemplate", tag: "notifications", auth: "user", status: 204,
    summary: "Goes back to the built-in text of one notification in one language (admins).",
    params: templateParams, response: z.undefined(),
    handler: async (ctx, { params }) => service.resetTemplate(ctx, params.event, params.locale),
  });

  defineRoute(app, deps, {
    method: "GET", url: "/api/v2/undelivered_mail", operationId: "listUndeliveredMail", tag: "notifications", auth: "user",
    summary: "Notifications the mail server never took at any attempt, newest first (admins).",
    response: z.object({ undelivered_mail: z.array(undeliveredView) }),
    handler: async (ctx) => ({ undelivered_mail: await service.undelivered(ctx) }),
  });
  defineRoute(app, deps, {
    method: "POST", url: "/api/v2/undelivered_mail/:id/resend", operationId: "resendUndeliveredMail", tag: "notifications", auth: "user", status: 204,
    summary: "Queues an undelivered message again; it leaves the list (admins).",
    params: undeliveredId, response: z.undefined(),
    handler: async (ctx, { params }) => service.resend(deps, ctx, params.id),
  });
  defineRoute(app, deps, {
    method: "DELETE", url: "/api/v2/undelivered_mail/:id", operationId: "deleteUndeliveredMail", tag: "notifications", auth: "user", status: 204,
    summary: "Removes an undelivered message for good (admins).",
    params: undeliveredId, response: z.undefined(),
    handler: async (ctx, { params }) => service.discard(ctx, params.id),
  });
}
