import { describe, expect, it } from "vitest";
import os from "node:os";
import { ConfigError, loadConfig } from "./config.ts";

describe("configuration", () => {
  it("has safe defaults and lets flags win over the environment", () => {
    const c = loadConfig({ PORT: "9000" }, { port: "9100" });
    expect(c.port).toBe(9100);
    expect(c.rateLimitPerMinute).toBe(2500);
    expect(c.baseDomain).toBe("localhost");
    expect(Object.isFrozen(c)).toBe(true);
  });
  it("explains bad values, including how to make a master key", () => {
    expect(() => loadConfig({ PORT: "http" })).toThrow(ConfigError);
    try {
      loadConfig({ VAULTDESK_MASTER_KEY: "short" });
      expect.unreachable();
    } catch (e) {
      expect((e as Error).message).toMatch(/VAULTDESK_MASTER_KEY.*randomBytes\(32\)/s);
    }
    expect(() => loadConfig({ DATABASE_URL: "mysql://x" })).toThrow(/postgres/);
  });
  it("keeps blobs in the data folder unless told", () => {
    expect(loadConfig({}, { dataDir: "/srv/vd" }).blobDir).toBe("/srv/vd/blobs");
    expect(loadConfig({ VAULTDESK_BLOB_DIR: "/mnt/blobs" }, { dataDir: "/srv/vd" }).blobDir).toBe("/mnt/blobs");
    expect(loadConfig({ VAULTDESK_BLOB_DIR: "" }, { dataDir: "/srv/vd" }).blobDir).toBe("/srv/vd/blobs");
  });
  it("trusts only listed proxies, never a number of hops or every hop", () => {
    expect(loadConfig({}).trustProxy).toBe(false);
    expect(loadConfig({ VAULTDESK_TRUST_PROXY: "false" }).trustProxy).toBe(false);
    expect(loadConfig({ VAULTDESK_TRUST_PROXY: "" }).trustProxy).toBe(false);
    // `true` and hop counts would believe a header written by a client connecting directly.
    expect(() => loadConfig({ VAULTDESK_TRUST_PROXY: "true" })).toThrow(/VAULTDESK_TRUST_PROXY.*no longer accepts true.*list the proxies' addresses or CIDR ranges/);
    expect(() => loadConfig({ VAULTDESK_TRUST_PROXY: "2" })).toThrow(/VAULTDESK_TRUST_PROXY.*no longer accepts a number of hops.*list the proxies/);
    expect(() => loadConfig({ VAULTDESK_TRUST_PROXY: "0" })).toThrow(/VAULTDESK_TRUST_PROXY/);
    expect(loadConfig({ VAULTDESK_TRUST_PROXY: "10.0.0.0/8, 192.0.2.7,::1" }).trustProxy).toEqual(["10.0.0.0/8", "192.0.2.7", "::1"]);
    expect(() => loadConfig({ VAULTDESK_TRUST_PROXY: "yes" })).toThrow(/VAULTDESK_TRUST_PROXY.*not yes.*list the proxies/);
    expect(() => loadConfig({ VAULTDESK_TRUST_PROXY: "10.0.0.0/99" })).toThrow(/VAULTDESK_TRUST_PROXY/);
    expect(() => loadConfig({ VAULTDESK_TRUST_PROXY: "50" })).toThrow(/VAULTDESK_TRUST_PROXY/);
  });
  it("sizes the PostgreSQL pool from the CPU count unless told", () => {
    expect(loadConfig({}).dbPoolSize).toBe(Math.max(4, 2 * os.availableParallelism()));
    expect(loadConfig({ VAULTDESK_DB_POOL_SIZE: "32" }).dbPoolSize).toBe(32);
    expect(() => loadConfig({ VAULTDESK_DB_POOL_SIZE: "0" })).toThrow(/VAULTDESK_DB_POOL_SIZE/);
  });
  it("logs readable lines on a terminal and JSON otherwise, unless LOG_FORMAT says", () => {
    expect(loadConfig({}, { stdoutIsTTY: true }).logFormat).toBe("pretty");
    expect(loadConfig({}, { stdoutIsTTY: false }).logFormat).toBe("json");
    expect(loadConfig({}).logFormat).toBe("json");
    expect(loadConfig({ LOG_FORMAT: "json" }, { stdoutIsTTY: true }).logFormat).toBe("json");
    expect(loadConfig({ LOG_FORMAT: "pretty" }, { stdoutIsTTY: false }).logFormat).toBe("pretty");
    expect(() => loadConfig({ LOG_FORMAT: "yaml" })).toThrow(/LOG_FORMAT: must be pretty or json/);
  });
  it("runs no SMTP server unless told where, and checks its address, TLS files, size and mail domain", () => {
    expect(loadConfig({}).smtpListen).toBeUndefined();
    expect(loadConfig({ VAULTDESK_SMTP_LISTEN: "0.0.0.0:2525" }).smtpListen).toEqual({ host: "0.0.0.0", port: 2525 });
    expect(loadConfig({ VAULTDESK_SMTP_LISTEN: "[::]:25" }).smtpListen).toEqual({ host: "::", port: 25 });
    expect(() => loadConfig({ VAULTDESK_SMTP_LISTEN: "2525" })).toThrow(/VAULTDESK_SMTP_LISTEN: must be host:port/);
    expect(() => loadConfig({ VAULTDESK_SMTP_LISTEN: "0.0.0.0:99999" })).toThrow(/VAULTDESK_SMTP_LISTEN/);
    expect(() => loadConfig({ VAULTDESK_SMTP_TLS_CERT: "/etc/cert.pem" })).toThrow(/set both/);
    expect(loadConfig({ VAULTDESK_SMTP_TLS_CERT: "/etc/c.pem", VAULTDESK_SMTP_TLS_KEY: "/etc/k.pem" }).smtpTls).toEqual({ certFile: "/etc/c.pem", keyFile: "/etc/k.pem" });
    expect(loadConfig({}).smtpMaxBytes).toBe(25 * 1024 * 1024);
    expect(() => loadConfig({ VAULTDESK_SMTP_MAX_BYTES: "12" })).toThrow(/VAULTDESK_SMTP_MAX_BYTES/);
    expect(loadConfig({ VAULTDESK_BASE_DOMAIN: "help.example.com" }).mailDomain).toBe("help.example.com");
    expect(loadConfig({ VAULTDESK_MAIL_DOMAIN: "mail.example.com" }).mailDomain).toBe("mail.example.com");
    expect(() => loadConfig({ VAULTDESK_MAIL_DOMAIN: "Mail Example" })).toThrow(/VAULTDESK_MAIL_DOMAIN/);
    expect(loadConfig({}).mailSenderLimitPerHour).toBe(20);
    expect(loadConfig({}).dnsServers).toBeUndefined();
    expect(loadConfig({ VAULTDESK_DNS_SERVERS: "1.1.1.1, 127.0.0.1:5353,[::1]:53,::1" }).dnsServers).toEqual(["1.1.1.1", "127.0.0.1:5353", "[::1]:53", "::1"]);
    expect(() => loadConfig({ VAULTDESK_DNS_SERVERS: "dns.example.com" })).toThrow(/VAULTDESK_DNS_SERVERS/);
    expect(() => loadConfig({ VAULTDESK_MAIL_SENDER_LIMIT_PER_HOUR: "0" })).toThrow(/VAULTDESK_MAIL_SENDER_LIMIT_PER_HOUR/);
  });
});
