import path from "node:path";
import { Command } from "commander";
import { ConfigError, loadConfig, type Config } from "../platform/config.ts";
import { DataDirLockedError, lockHolder } from "../platform/data-lock.ts";
import { installationExists, NoInstallationError, openRuntime } from "../platform/runtime.ts";
import { DataDirPermissionError } from "../platform/data-dir.ts";
import { SchemaTooNewError } from "../platform/db/database.ts";
import { AppError } from "../platform/errors.ts";
import { callOperator } from "../server/operator-client.ts";
import type { OperationProgress } from "./operations.ts";
import type { JobStatusView } from "../platform/jobs/jobs.ts";

/**
 * The `vaultdesk` command. With PGlite, while a server holds the data folder, every command goes
 * through that server's operator socket; otherwise the command opens the folder itself. Only
 * `serve` and `init` create a data folder; the other commands refuse where there is none.
 */

// Everything this process creates (PGlite's files, the master key, the lock) is private to the
// account that runs it: PGlite itself writes files mode 0666.
process.umask(0o077);

const program = new Command();
program.name("vaultdesk").description("Vaultdesk helpdesk server and operator commands").option("--data-dir <dir>", "data folder (VAULTDESK_DATA_DIR)");

function config(extra: { port?: string } = {}): Config {
  return loadConfig(process.env, { dataDir: program.opts<{ dataDir?: string }>().dataDir, port: extra.port, stdoutIsTTY: process.stdout.isTTY === true });
}

async function operate(op: string, args: unknown, progress?: OperationProgress): Promise<unknown> {
  const cfg = config();
  if (!cfg.databaseUrl && lockHolder(cfg.dataDir) !== undefined) {
    const { body } = await callOperator(cfg.dataDir, op, args);
    if (!body.ok) throw new CliError(`${body.error}: ${body.description}`);
    return body.result;
  }
  // Same as a server start: bring the schema up to date (refusing a newer one). Never creates
  // an installation: a command run in the wrong folder says so instead of starting a new one.
  // `migrate` itself applies them, so that it can say which it applied.
  const rt = await openRuntime(cfg, { migrate: op !== "migrate", create: false });
  if (rt.permissionWarning) console.error(rt.permissionWarning);
  try {
    // Loaded here, not at the top: a command the running server carries out never needs the services.
    const { runOperation } = await import("./operations.ts");
    return await runOperation(rt, op, args, progress);
  } finally {
    await rt.close();
  }
}

class CliError extends Error {}

program
  .command("serve")
  .description("start the server (embedded database unless DATABASE_URL is set)")
  .option("--port <port>", "port to listen on (PORT, default 8080)")
  .option("--data-dir <dir>", "data folder (VAULTDESK_DATA_DIR)")
  .action(async (o: { port?: string; dataDir?: string }) => {
    const cfg = loadConfig(process.env, { port: o.port, dataDir: o.dataDir ?? program.opts<{ dataDir?: string }>().dataDir, stdoutIsTTY: process.stdout.isTTY === true });
    const { serve } = await import("../server/serve.ts");
    const { stop, app } = await serve(cfg);
    const shutdown = (sig: string) => {
      app.log.info({ signal: sig }, "shutting down: draining requests");
      const hard = setTimeout(() => process.exit(1), 25_000);
      hard.unref();
      stop().then(() => process.exit(0), () => process.exit(1));
    };
    process.once("SIGTERM", () => shutdown("SIGTERM"));
    process.once("SIGINT", () => shutdown("SIGINT"));
  });

program
  .command("init")
  .description("create a new installation: the data folder, its master key and the database (the server does this too on its first start)")
  .option("--data-dir <dir>", "data folder (VAULTDESK_DATA_DIR)")
  .action(async (o: { dataDir?: string }) => {
    if (o.dataDir) program.setOptionValue("dataDir", o.dataDir);
    const cfg = config();
    if (!cfg.databaseUrl && lockHolder(cfg.dataDir) !== undefined) throw new CliError(`${cfg.dataDir} is in use by a running Vaultdesk server: it is set up already.`);
    const existed = !cfg.databaseUrl && installationExists(cfg);
    const rt = await openRuntime(cfg, { migrate: false, create: true });
    try {
      if (rt.permissionWarning) console.error(rt.permissionWarning);
      const applied = await rt.db.migrate();
      if (cfg.databaseUrl) {
        console.log(applied.length ? `Created the Vaultdesk schema in the PostgreSQL database of DATABASE_URL (${applied.length} migrations).` : "The PostgreSQL database of DATABASE_URL has the Vaultdesk schema already.");
      } else if (existed) {
        console.log(`${cfg.dataDir} holds a Vaultdesk installation already; nothing was created${applied.length ? ` (applied ${applied.length} new migrations)` : ""}.`);
      } else {
        console.log(`Created a Vaultdesk data folder at ${cfg.dataDir} (mode 0700), with its database in ${path.join(cfg.dataDir, "pgdata")}.`);
      }
      if (rt.masterKeyCreated) console.log(`A new master key was written to ${path.join(cfg.dataDir, "master.key")} (mode 0600). Back it up, apart from the data: without it the data cannot be read.`);
      if (existed && !applied.length) return;
      console.log(`Next: npx vaultdesk tenant create --subdomain acme --owner-email you@example.com${cfg.dataDir.endsWith("/vaultdesk-data") ? "" : ` --data-dir ${cfg.dataDir}`}   (or start the server: npx vaultdesk serve)`);
    } finally {
      await rt.close();
    }
  });

program.command("migrate").description("apply database migrations").action(async () => {
  const r = (await operate("migrate", {})) as { applied: string[] };
  console.log(r.applied.length ? `applied: ${r.applied.join(", ")}` : "database is up to date");
});

const tenant = program.command("tenant").description("manage tenants (accounts)");
tenant
  .command("create")
  .requiredOption("--subdomain <name>", "the account's subdomain, e.g. acme")
  .requiredOption("--owner-email <email>", "the owner's e-mail address")
  .option("--owner-name <name>", "the owner's name")
  .option("--team-name <name>", "the team's name, shown in the admin center (sealed at rest)")
  .option("--data-dir <dir>", "data folder")
  .action(async (o: { subdomain: string; ownerEmail: string; ownerName?: string; teamName?: string; dataDir?: string }) => {
    if (o.dataDir) program.setOptionValue("dataDir", o.dataDir);
    const r = (await operate("tenant.create", { subdomain: o.subdomain, ownerEmail: o.ownerEmail, ownerName: o.ownerName, teamName: o.teamName })) as {
      subdomain: string; ownerEmail: string; oneTimePassword: string; apiToken: string; url: string;
    };
    console.log(`Created tenant '${r.subdomain}' with owner ${r.ownerEmail}.`);
    console.log(`Sign in at ${r.url} with this one-time password (you must change it at first sign-in):`);
    console.log(`One-time password: ${r.oneTimePassword}`);
    console.log("API token for the owner (shown once; use it as email/token:TOKEN or Bearer TOKEN):");
    console.log(`API token: ${r.apiToken}`);
  });
tenant.command("list").option("--data-dir <dir>", "data folder").action(async (o: { dataDir?: string }) => {
  if (o.dataDir) program.setOptionValue("dataDir", o.dataDir);
  const r = (await operate("tenant.list", {})) as { tenants: Array<{ subdomain: string; status: string; region: string; default: boolean; deletesAt: string | null }> };
  // A closed tenant shows when the upkeep deletes it (shreds its keys).
  for (const t of r.tenants) console.log(`${t.subdomain}\t${t.status}\t${t.region}${t.default ? "\tdefault" : ""}${t.status === "closed" && t.deletesAt ? `\tdeletes ${t.deletesAt}` : ""}`);
});
tenant
  .command("reopen")
  .description("reopen a tenant its owner closed, before its data is deleted; audited")
  .argument("[subdomain]", "the tenant (or --tenant)")
  .option("--tenant <subdomain>", "the tenant")
  .option("--data-dir <dir>", "data folder")
  .action(async (sub: string | undefined, o: { tenant?: string; dataDir?: string }) => {
    if (o.dataDir) program.setOptionValue("dataDir", o.dataDir);
    const name = sub ?? o.tenant;
    if (!name) throw new Error("name the tenant: vaultdesk tenant reopen <subdomain>");
    await operate("tenant.reopen", { tenant: name });
    console.log(`Tenant '${name}' reopened: its people sign in again (every session had ended) and make new API tokens.`);
  });
tenant
  .command("shred")
  .description("destroy a tenant's keys: all of its data becomes unreadable, permanently")
  .requiredOption("--tenant <subdomain>", "the tenant")
  .option("--data-dir <dir>", "data folder")
  .action(async (o: { tenant: string; dataDir?: string }) => {
    if (o.dataDir) program.setOptionValue("dataDir", o.dataDir);
    await operate("tenant.shred", { tenant: o.tenant });
    console.log(`Tenant '${o.tenant}' shredded: its keys are destroyed and its data can no longer be read.`);
  });

tenant
  .command("lift-ip-restrictions")
  .description("turn the tenant's IP restrictions off (its ranges are kept), for admins who shut themselves out; audited")
  .requiredOption("--tenant <subdomain>", "the tenant")
  .option("--data-dir <dir>", "data folder")
  .action(async (o: { tenant: string; dataDir?: string }) => {
    if (o.dataDir) program.setOptionValue("dataDir", o.dataDir);
    const r = (await operate("tenant.lift_ip_restrictions", { tenant: o.tenant })) as { lifted: boolean };
    console.log(r.lifted ? `IP restrictions of tenant '${o.tenant}' turned off; its admins can turn them on again (the ranges are kept).` : `Tenant '${o.tenant}' has no IP restrictions turned on: nothing to lift.`);
  });

const keys = program.command("keys").description("tenant encryption keys");
keys
  .command("rotate")
  .description("add a new data-key version and re-seal the tenant's data under it (resumable)")
  .requiredOption("--tenant <subdomain>", "the tenant")
  .option("--data-dir <dir>", "data folder")
  .action(async (o: { tenant: string; dataDir?: string }) => {
    if (o.dataDir) program.setOptionValue("dataDir", o.dataDir);
    const r = (await operate("keys.rotate", { tenant: o.tenant })) as { version: number; resealed: number };
    console.log(`Tenant '${o.tenant}' now seals under data-key version ${r.version}; ${r.resealed} rows re-sealed.`);
  });

const userCmd = program.command("user").description("people of a tenant (staff and end users)");
userCmd
  .command("reset-password")
  .description("set a one-time password (printed once, to be changed at first sign-in) and end the person's sessions")
  .requiredOption("--tenant <subdomain>", "the tenant")
  .requiredOption("--email <address>", "the person's e-mail address")
  .option("--data-dir <dir>", "data folder")
  .action(async (o: { tenant: string; email: string; dataDir?: string }) => {
    if (o.dataDir) program.setOptionValue("dataDir", o.dataDir);
    const r = (await operate("user.reset_password", { tenant: o.tenant, email: o.email })) as {
      userId: number; role: string; suspended: boolean; oneTimePassword: string; sessionsEnded: number; email: string; url: string;
    };
    console.log(`Password reset for ${r.email} (user ${r.userId}, ${r.role.replace("_", " ")}) in tenant '${o.tenant}'; ${r.sessionsEnded} ${r.sessionsEnded === 1 ? "session" : "sessions"} ended.`);
    console.log(`Sign in at ${r.url} with this one-time password (it must be changed at first sign-in):`);
    console.log(`One-time password: ${r.oneTimePassword}`);
    if (r.suspended) console.log("Note: this person is suspended and cannot sign in until unsuspended.");
  });

userCmd
  .command("reset-two-factor")
  .description("remove the person's authenticator and recovery codes (they sign in with the password and set it up again), end their sessions and tell them by e-mail")
  .requiredOption("--tenant <subdomain>", "the tenant")
  .requiredOption("--email <address>", "the person's e-mail address")
  .option("--data-dir <dir>", "data folder")
  .action(async (o: { tenant: string; email: string; dataDir?: string }) => {
    if (o.dataDir) program.setOptionValue("dataDir", o.dataDir);
    const r = (await operate("user.reset_two_factor", { tenant: o.tenant, email: o.email })) as { userId: number; reset: boolean; sessionsEnded: number; email: string };
    if (!r.reset) console.log(`${r.email} (user ${r.userId}) in tenant '${o.tenant}' has no two-factor authentication: nothing to reset.`);
    else console.log(`Two-factor authentication reset for ${r.email} (user ${r.userId}) in tenant '${o.tenant}'; ${r.sessionsEnded} ${r.sessionsEnded === 1 ? "session" : "sessions"} ended; they were told by e-mail.`);
  });

const supportCmd = program.command("support").description("temporary support access: act in a tenant as its support user, while the owner's grant is live");
supportCmd
  .command("status")
  .description("show the tenant's support access grant (level, dates; no content)")
  .requiredOption("--tenant <subdomain>", "the tenant")
  .option("--data-dir <dir>", "data folder")
  .action(async (o: { tenant: string; dataDir?: string }) => {
    if (o.dataDir) program.setOptionValue("dataDir", o.dataDir);
    const r = (await operate("support.status", { tenant: o.tenant })) as { live: boolean; grant: { id: number; level: string; status: string; created_at: string; expires_at: string; revoked_at: string | null } | null };
    if (!r.grant) console.log(`Tenant '${o.tenant}' has never granted support access.`);
    else if (r.live) console.log(`Support access is live in tenant '${o.tenant}': grant ${r.grant.id}, ${r.grant.level === "read_write" ? "read and write" : "read only"}, granted ${r.grant.created_at}, expires ${r.grant.expires_at}.`);
    else console.log(`No live support access in tenant '${o.tenant}': the last grant (${r.grant.id}) ${r.grant.status === "revoked" ? `was revoked at ${r.grant.revoked_at}` : `expired at ${r.grant.expires_at}`}.`);
    if (!r.live) process.exitCode = 1;
  });
supportCmd
  .command("api")
  .description("perform one API request as the tenant's support user (needs the owner's live grant; audited as the support user)")
  .requiredOption("--tenant <subdomain>", "the tenant")
  .argument("<method>", "GET, POST, PUT, PATCH or DELETE")
  .argument("<path>", "the API path, e.g. /api/v2/tickets.json")
  .option("--data <json>", "the request body, JSON")
  .option("--data-dir <dir>", "data folder")
  .action(async (method: string, path: string, o: { tenant: string; data?: string; dataDir?: string }) => {
    if (o.dataDir) program.setOptionValue("dataDir", o.dataDir);
    const r = (await operate("support.api", { tenant: o.tenant, method: method.toUpperCase(), path, ...(o.data !== undefined ? { data: o.data } : {}) })) as { status: number; body: string; grant: number };
    console.error(`HTTP ${r.status} (as the support user, under grant ${r.grant})`);
    let shown = r.body;
    try {
      shown = JSON.stringify(JSON.parse(r.body), null, 2);
    } catch {
      /* not JSON: shown as it came */
    }
    if (shown) console.log(shown);
    if (r.status >= 400) process.exitCode = 1;
  });

const searchCmd = program.command("search").description("the search index");
searchCmd
  .command("reindex")
  .description("rebuild the tenant's search index from its sealed content (resumable; joins a rebuild under way): after restoring a backup of an older version or a change of the blind-index key (a change of search languages starts one by itself)")
  .requiredOption("--tenant <subdomain>", "the tenant")
  .option("--no-wait", "queue the rebuild and return (a running server does it; otherwise the next server start)")
  .option("--data-dir <dir>", "data folder")
  .action(async (o: { tenant: string; wait: boolean; dataDir?: string }) => {
    if (o.dataDir) program.setOptionValue("dataDir", o.dataDir);
    let shown = "";
    const show = (s: JobStatusView) => {
      const line = `${s.status}: ${s.progress} of ${s.total} rows`;
      if (line !== shown) console.log(line);
      shown = line;
    };
    const r = (await operate("search.reindex", { tenant: o.tenant, wait: o.wait }, show)) as { job: JobStatusView & { joined: boolean }; ranHere: boolean };
    if (r.ranHere) console.log(`${r.job.joined ? "Finished the search index rebuild left under way" : "Ran the search index rebuild"} of tenant '${o.tenant}' in this process (job ${r.job.id}).`);
    else console.log(`${r.job.joined ? "Joined the search index rebuild under way" : "Search index rebuild queued"} for tenant '${o.tenant}' (job ${r.job.id}).`);
    let job: JobStatusView = r.job;
    if (o.wait && !r.ranHere) {
      // A server holds the installation and runs the job: follow it.
      for (;;) {
        job = (await operate("search.reindex_status", { tenant: o.tenant, job: r.job.id })) as JobStatusView;
        show(job);
        if (job.status === "completed" || job.status === "failed") break;
        await new Promise((res) => setTimeout(res, 500));
      }
    }
    if (!o.wait) return;
    if (job.status === "completed") console.log(`Search index of tenant '${o.tenant}' rebuilt: ${job.progress} rows.`);
    else {
      console.log(`The search index rebuild of tenant '${o.tenant}' failed: ${job.message ?? "no reason given"}. Run the command again to start it over.`);
      process.exitCode = 1;
    }
  });

const upkeepCmd = program.command("upkeep").description("the server's upkeep tasks (automations, retention, erasure, exports' expiry …), which run by themselves on their schedule");
upkeepCmd
  .command("list")
  .description("list the upkeep tasks")
  .option("--data-dir <dir>", "data folder")
  .action(async (o: { dataDir?: string }) => {
    if (o.dataDir) program.setOptionValue("dataDir", o.dataDir);
    const r = (await operate("upkeep.list", {})) as { tasks: string[] };
    for (const t of r.tasks) console.log(t);
  });
upkeepCmd
  .command("run")
  .description("run one upkeep task now, for every tenant (automations after downtime, say); its regular turn stays as it was")
  .argument("<task>", "the task's name, as `vaultdesk upkeep list` shows it (e.g. automations.run)")
  .option("--data-dir <dir>", "data folder")
  .action(async (task: string, o: { dataDir?: string }) => {
    if (o.dataDir) program.setOptionValue("dataDir", o.dataDir);
    const r = (await operate("upkeep.run", { task })) as { task: string; ms: number };
    console.log(`Ran upkeep task '${r.task}' (${r.ms} ms).`);
  });

const auditCmd = program.command("audit").description("the audit trail");
auditCmd
  .command("checkpoint")
  .description("print a signed checkpoint of the tenant's audit chain (one JSON line), to keep outside this installation")
  .requiredOption("--tenant <subdomain>", "the tenant")
  .option("--data-dir <dir>", "data folder")
  .action(async (o: { tenant: string; dataDir?: string }) => {
    if (o.dataDir) program.setOptionValue("dataDir", o.dataDir);
    console.log(JSON.stringify(await operate("audit.checkpoint", { tenant: o.tenant })));
  });
auditCmd
  .command("verify")
  .requiredOption("--tenant <subdomain>", "the tenant")
  .option("--checkpoints <file>", "checkpoints kept from `audit checkpoint` (JSON lines): each must still match the chain")
  .option("--data-dir <dir>", "data folder")
  .action(async (o: { tenant: string; checkpoints?: string; dataDir?: string }) => {
    if (o.dataDir) program.setOptionValue("dataDir", o.dataDir);
    // Read before anything is verified: a file that cannot be read or parsed stops the command.
    const kept = o.checkpoints === undefined ? undefined : await readCheckpoints(o.checkpoints);
    type Files = { archives: number; archived_entries: number; failure: { archive: number; reason: string } | null };
    const r = (await operate("audit.verify", { tenant: o.tenant })) as { ok: boolean; entries: number; brokenAt?: number; reason?: string; archives?: Files };
    const files = r.archives;
    if (files?.failure) {
      console.log(`audit archive ${files.failure.archive} BROKEN: ${files.failure.reason}`);
      process.exitCode = 1;
    } else if (r.ok) console.log(`audit chain OK: ${r.entries} entries${files && files.archives > 0 ? `, and ${files.archived_entries} more in ${files.archives} archive files` : ""}`);
    else {
      console.log(`audit chain BROKEN at entry ${r.brokenAt}: ${r.reason} (${r.entries} entries verified before it)`);
      process.exitCode = 1;
    }
    if (kept) await verifyCheckpoints(o.tenant, kept);
  });

/** The checkpoints of a file of `audit checkpoint` lines (blank lines skipped), each with its line number. */
async function readCheckpoints(file: string): Promise<Array<{ line: number; checkpoint: unknown }>> {
  const { readFile } = await import("node:fs/promises");
  const text = await readFile(file, "utf8").catch((e: NodeJS.ErrnoException) => {
    throw new CliError(`cannot read the checkpoints file ${file}: ${e.code ?? e.message}`);
  });
  const out: Array<{ line: number; checkpoint: unknown }> = [];
  text.split("\n").forEach((l, i) => {
    if (l.trim() === "") return;
    try {
      out.push({ line: i + 1, checkpoint: JSON.parse(l) });
    } catch {
      throw new CliError(`${file}, line ${i + 1}: not a checkpoint (not JSON)`);
    }
  });
  if (out.length === 0) throw new CliError(`${file}: no checkpoints in it`);
  return out;
}

/** Compares the kept checkpoints with the chain, 100 at a time (what one operator request takes). */
async function verifyCheckpoints(tenant: string, kept: Array<{ line: number; checkpoint: unknown }>): Promise<void> {
  type Check = { seq: number; at: string; result: string; reason?: string };
  let matched = 0;
  let archived = 0;
  let failed = 0;
  for (let i = 0; i < kept.length; i += 100) {
    const part = kept.slice(i, i + 100);
    let checks: Check[];
    try {
      checks = ((await operate("audit.check_checkpoints", { tenant, checkpoints: part.map((k) => k.checkpoint) })) as { checks: Check[] }).checks;
    } catch (e) {
      if (e instanceof AppError && e.code === "RecordInvalid") throw new CliError(`checkpoints on lines ${part[0]!.line}–${part.at(-1)!.line}: ${e.description.replace(/checkpoints\.(\d+)/g, (_m, n: string) => `line ${part[Number(n)]!.line}`)}`);
      throw e;
    }
    checks.forEach((c, j) => {
      if (c.result === "matches") matched++;
      else if (c.result === "archived") archived++;
      else {
        failed++;
        console.log(`checkpoint on line ${part[j]!.line} (entry ${c.seq}, made ${c.at}) DOES NOT MATCH: ${c.reason ?? c.result}`);
      }
    });
  }
  const archivedNote = archived > 0 ? `; ${archived} of them for entries archived and purged since, checked through the archives' chain` : "";
  console.log(`checkpoints: ${matched} of ${kept.length} match${archivedNote}`);
  if (failed > 0) process.exitCode = 1;
}

try {
  await program.parseAsync(process.argv);
} catch (e) {
  if (e instanceof ConfigError || e instanceof CliError || e instanceof DataDirLockedError || e instanceof SchemaTooNewError || e instanceof NoInstallationError || e instanceof DataDirPermissionError) {
    console.error(e.message);
  } else if (e instanceof AppError) {
    console.error(`${e.code}: ${e.details ? Object.values(e.details).flat().map((d) => d.description).join("; ") : e.description}`);
  } else {
    console.error(e);
  }
  process.exit(1);
}
