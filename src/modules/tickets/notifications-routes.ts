import type { FastifyInstance } from "fastify";
import { z } from "zod";
import type { AppDeps } from "../../platform/deps.ts";
import { defineRoute } from "../../platform/http/route.ts";
import * as service from "./notifications-service.ts";

const settingsView = z.object({
  request_received: z.boolean().describe("Tell the requester their new request arrived."),
  public_reply: z.boolean().describe("Tell the requester about a public reply."),
  solved: z.boolean().describe("Tell the requester their request was solved."),
  end_user_update: z.boolean().describe("Tell the assignee (or the group's agents) about a new request or a customer's reply."),
  content_free: z.boolean().describe("Send only a link: no subject, no comment text."),
});
const settingsInput = z.object({ settings: settingsView.partial().strict() }).strict();

export function register(app: FastifyInstance, deps: AppDeps): void {
  deps.hooks.on("conversation.written", service.notifyOnWrite(deps));

  defineRoute(app, deps, {
    method: "GET", url: "/api/v2/notification_settings", operationId: "showNotificationSettings", tag: "notifications", auth: "user",
    summary: "Which e-mail notifications this helpdesk sends, and whether they carry the text (admins).",
    response: z.object({ settings: settingsView }),
    handler: async (ctx) => ({ settings: await service.showSettings(ctx) }),
  });
  defineRoute(app, deps, {
    method: "PUT", url: "/api/v2/notification_settings", operationId: "updateNotificationSettings", tag: "notifications", auth: "user",
    summary: "Turns each e-mail notification on or off, and content-free messages (admins).",
    body: settingsInput, response: z.object({ settings: settingsView }),
    handler: async (ctx, { body }) => {
      const input = Object.fromEntries(Object.entries(body.settings).filter(([, v]) => v !== undefined)) as Partial<service.NotificationSettings>;
      return { settings: await service.updateSettings(ctx, input) };
    },
  });
}
