import type { AppDeps } from "../../platform/deps.ts";
import { AppError } from "../../platform/errors.ts";
import { checkPasswordPolicy } from "../identity/identity-service.ts";
import { createTenant, listTenants } from "../tenants/tenants-service.ts";

/**
 * First run: while no account exists, the server prints a one-time setup token on its console
 * (platform/setup-token.ts). Only someone who can read that console can create the first account
 * in the browser, so nobody else on the network can claim a fresh install. Once an account
 * exists the setup endpoint answers 404. The account is created as the CLI creates one, and the
 * audit trail credits it to the person at the browser, not to the command line.
 */
export async function setupNeeded(deps: Pick<AppDeps, "setup" | "db">): Promise<boolean> {
  const gate = deps.setup;
  if (!gate || gate.done) return false;
  const any = (await listTenants(deps.db)).length > 0;
  if (any) gate.finish();
  return !any;
}

export async function createFirstAccount(
  deps: Pick<AppDeps, "setup" | "db" | "keyring" | "now">,
  input: { token: string; subdomain: string; ownerName: string; ownerEmail: string; password: string; teamName?: string | undefined; requestId: string; ip: string | undefined },
): Promise<{ subdomain: string }> {
  const gate = deps.setup;
  if (!gate || !(await setupNeeded(deps))) throw new AppError("InvalidEndpoint", { description: "Setup is finished: an account exists." });
  if (!gate.check(input.token)) throw new AppError("Forbidden", { description: "The setup token is not correct. Copy it from the server's console." });
  checkPasswordPolicy(input.password, input.ownerEmail);
  const t = await createTenant(deps.db, deps.keyring, {
    subdomain: input.subdomain,
    ownerEmail: input.ownerEmail,
    ownerName: input.ownerName,
    password: input.password,
    onlyIfFirst: true,
    teamName: input.teamName,
    via: { kind: "setup", requestId: input.requestId, ip: input.ip },
    now: deps.now,
  });
  gate.finish();
  return { subdomain: t.subdomain };
}
