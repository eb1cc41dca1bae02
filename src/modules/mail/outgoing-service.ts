import type { RequestContext } from "../../platform/context.ts";
import type { AppDeps } from "../../platform/deps.ts";
import { teamName } from "../admin/account-service.ts";
import { currentTenant } from "../tenants/tenants-service.ts";
import type { NotificationAddressing } from "../tickets/notifications-service.ts";
import { sendingAddressOf } from "./addresses-service.ts";
import { createThreading } from "./threading.ts";

/**
 * How notifications leave when the e-mail channel is on (VAULTDESK_SMTP_LISTEN): From the
 * tenant's default support address under the team's name, Reply-To the ticket's signed reply
 * address (a reply threads into the ticket, as its requester or, under DMARC, as the agent),
 * a Message-ID Vaultdesk signed for the comment, and In-Reply-To/References naming the ticket's
 * thread (signed as comment 0), so that mail programs keep a ticket's messages together. Without
 * the channel, notifications keep the installation's address (VAULTDESK_MAIL_FROM) and no reply
 * address: there would be nothing to receive the replies.
 */
export function addressNotification(deps: Pick<AppDeps, "config">) {
  return async (ctx: RequestContext, n: NotificationAddressing): Promise<void> => {
    if (!deps.config.smtpListen) return;
    const tenant = await currentTenant(ctx);
    if (!tenant) return;
    const from = await sendingAddressOf(deps, ctx, tenant.subdomain);
    const name = from.name ?? (await teamName(ctx)) ?? tenant.subdomain;
    const threading = createThreading(ctx.sealer, { subdomain: tenant.subdomain, mailDomain: deps.config.mailDomain });
    const ticket = { niceId: n.ticketNiceId };
    const root = threading.messageIdFor(ticket, { niceId: 0 });
    // nodemailer encodes the display name; quotes, backslashes and line breaks are dropped first.
    n.message.from = `"${name.replace(/["\\\r\n]/g, "")}" <${from.email}>`;
    n.message.replyTo = threading.replyAddressFor(ticket);
    if (n.commentNiceId !== null) n.message.messageId = threading.messageIdFor(ticket, { niceId: n.commentNiceId });
    n.message.inReplyTo = root;
    n.message.references = [root];
  };
}
