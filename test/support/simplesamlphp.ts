import { spawn, spawnSync, type ChildProcess } from "node:child_process";
import crypto from "node:crypto";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { freePort } from "./process.ts";

/**
 * A real SAML identity provider: SimpleSAMLphp (Debian's `simplesamlphp` package, run by
 * `php -S` from `php-cli`) on loopback, with a configuration written here into a temporary folder
 * (SIMPLESAMLPHP_CONFIG_DIR): a hosted IdP that signs both the Response and the Assertion with a
 * key generated here, an `exampleauth:UserPass` authsource whose people the test names, and the
 * service providers (one per test tenant) the test registers. A different implementation from the
 * service provider under test, which is the point.
 */

export const SIMPLESAMLPHP_DIRS = ["/usr/share/simplesamlphp"];

export function simpleSamlPhpDir(): string | undefined {
  const dirs = process.env.TEST_SIMPLESAMLPHP ? [process.env.TEST_SIMPLESAMLPHP] : SIMPLESAMLPHP_DIRS;
  return dirs.find((d) => fs.existsSync(path.join(d, "www", "saml2", "idp", "SSOService.php")));
}

export function phpBinary(): string | undefined {
  if (process.env.TEST_PHP) return fs.existsSync(process.env.TEST_PHP) ? process.env.TEST_PHP : undefined;
  const r = spawnSync("sh", ["-c", "command -v php"], { encoding: "utf8" });
  return r.status === 0 ? r.stdout.trim() || undefined : undefined;
}

export type KeyPair = { key: string; cert: string };

/** A self-signed RSA key and certificate (openssl, as an IdP admin would make one). */
export function makeKeyPair(cn: string): KeyPair {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "vd-saml-key-"));
  try {
    const r = spawnSync("openssl", ["req", "-x509", "-newkey", "rsa:2048", "-nodes", "-sha256", "-days", "2", "-subj", `/CN=${cn}`, "-keyout", path.join(dir, "k.pem"), "-out", path.join(dir, "c.pem")], { encoding: "utf8" });
    if (r.status !== 0) throw new Error(`openssl: ${r.stderr}`);
    return { key: fs.readFileSync(path.join(dir, "k.pem"), "utf8"), cert: fs.readFileSync(path.join(dir, "c.pem"), "utf8") };
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

export type IdpUser = { username: string; password: string; email: string; name: string; role?: string };
export type Sp = { entityId: string; acsUrl: string };

export type SimpleSamlPhp = {
  /** http://127.0.0.1:<port>/ */
  base: string;
  entityId: string;
  ssoUrl: string;
  keys: KeyPair;
  addUser(u: IdpUser): void;
  addSp(sp: Sp): void;
  log(): string;
  close(): Promise<void>;
};

const phpString = (s: string) => `'${s.replace(/\\/g, "\\\\").replace(/'/g, "\\'")}'`;

export async function startSimpleSamlPhp(): Promise<SimpleSamlPhp> {
  const ssp = simpleSamlPhpDir();
  const php = phpBinary();
  if (!ssp || !php) throw new Error("SimpleSAMLphp is not installed: apt-get install simplesamlphp php-cli (or set TEST_SIMPLESAMLPHP to its folder)");
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "vd-ssp-"));
  for (const d of ["config", "metadata", "cert", "log", "data", "tmp", "sessions"]) fs.mkdirSync(path.join(dir, d));
  const port = await freePort();
  const base = `http://127.0.0.1:${port}/`;
  const keys = makeKeyPair("Vaultdesk test IdP");
  fs.writeFileSync(path.join(dir, "cert", "idp.key"), keys.key, { mode: 0o600 });
  fs.writeFileSync(path.join(dir, "cert", "idp.crt"), keys.cert);
  const users: IdpUser[] = [];
  const sps: Sp[] = [];
  const conf = path.join(dir, "config");
  fs.writeFileSync(
    path.join(conf, "config.php"),
    `<?php
$config = [
  'baseurlpath' => ${phpString(base)},
  'certdir' => ${phpString(path.join(dir, "cert") + "/")},
  'loggingdir' => ${phpString(path.join(dir, "log") + "/")},
  'datadir' => ${phpString(path.join(dir, "data") + "/")},
  'tempdir' => ${phpString(path.join(dir, "tmp"))},
  'metadatadir' => ${phpString(path.join(dir, "metadata") + "/")},
  'secretsalt' => ${phpString(crypto.randomBytes(24).toString("hex"))},
  'auth.adminpassword' => ${phpString(crypto.randomBytes(24).toString("hex"))},
  'technicalcontact_name' => 'Vaultdesk tests',
  'technicalcontact_email' => 'na@example.org',
  'timezone' => 'UTC',
  'enable.saml20-idp' => true,
  'module.enable' => ['exampleauth' => true, 'core' => true, 'saml' => true],
  'store.type' => 'phpsession',
  'session.phpsession.savepath' => ${phpString(path.join(dir, "sessions"))},
  'session.cookie.secure' => false,
  'session.cookie.samesite' => null,
  'language.cookie.secure' => false,
  'language.cookie.samesite' => null,
  'logging.handler' => 'file',
  'logging.level' => SimpleSAML\\Logger::INFO,
  'logging.logfile' => 'simplesamlphp.log',
  'showerrors' => true,
  'errorreporting' => false,
  'production' => false,
  'admin.checkforupdates' => false,
  'trusted.url.domains' => [],
];
`,
  );
  const writeAuthsources = () =>
    fs.writeFileSync(
      path.join(conf, "authsources.php"),
      `<?php
$config = [
  'admin' => ['core:AdminPassword'],
  'example-userpass' => [
    'exampleauth:UserPass',
${users.map((u) => `    ${phpString(`${u.username}:${u.password}`)} => ['email' => [${phpString(u.email)}], 'displayName' => [${phpString(u.name)}]${u.role ? `, 'role' => [${phpString(u.role)}]` : ""}],`).join("\n")}
  ],
];
`,
    );
  const writeSps = () =>
    fs.writeFileSync(
      path.join(dir, "metadata", "saml20-sp-remote.php"),
      `<?php
${sps
  .map(
    (sp) => `$metadata[${phpString(sp.entityId)}] = [
  'AssertionConsumerService' => [['Binding' => 'urn:oasis:names:tc:SAML:2.0:bindings:HTTP-POST', 'Location' => ${phpString(sp.acsUrl)}]],
  'NameIDFormat' => 'urn:oasis:names:tc:SAML:1.1:nameid-format:emailAddress',
  'attributes.NameFormat' => 'urn:oasis:names:tc:SAML:2.0:attrname-format:basic',
];`,
  )
  .join("\n")}
`,
    );
  writeAuthsources();
  writeSps();
  fs.writeFileSync(
    path.join(dir, "metadata", "saml20-idp-hosted.php"),
    `<?php
$metadata['__DYNAMIC:1__'] = [
  'host' => '__DEFAULT__',
  'privatekey' => 'idp.key',
  'certificate' => 'idp.crt',
  'auth' => 'example-userpass',
  'signature.algorithm' => 'http://www.w3.org/2001/04/xmldsig-more#rsa-sha256',
  'saml20.sign.response' => true,
  'saml20.sign.assertion' => true,
  'authproc' => [
    10 => ['class' => 'saml:AttributeNameID', 'attribute' => 'email', 'Format' => 'urn:oasis:names:tc:SAML:1.1:nameid-format:emailAddress'],
  ],
];
`,
  );
  // No opcache: the test rewrites the people and SP metadata files while the server runs.
  let child: ChildProcess | undefined = spawn(php, ["-d", "opcache.enable=0", "-d", "opcache.enable_cli=0", "-S", `127.0.0.1:${port}`, "-t", path.join(ssp, "www")], {
    env: { ...process.env, SIMPLESAMLPHP_CONFIG_DIR: conf },
    stdio: ["ignore", "ignore", "pipe"],
  });
  let stderr = "";
  child.stderr?.on("data", (d: Buffer) => {
    stderr = (stderr + d.toString("utf8")).slice(-20_000);
  });
  const entityId = `${base}saml2/idp/metadata.php`;
  const deadline = Date.now() + 20_000;
  for (;;) {
    const ok = await fetch(entityId).then((r) => r.status === 200, () => false);
    if (ok) break;
    if (child.exitCode !== null || Date.now() > deadline) throw new Error(`SimpleSAMLphp did not start: ${stderr.slice(-2000)}`);
    await new Promise((r) => setTimeout(r, 100));
  }
  return {
    base,
    entityId,
    ssoUrl: `${base}saml2/idp/SSOService.php`,
    keys,
    addUser(u) {
      users.push(u);
      writeAuthsources();
    },
    addSp(sp) {
      sps.push(sp);
      writeSps();
    },
    log() {
      const f = path.join(dir, "log", "simplesamlphp.log");
      return (fs.existsSync(f) ? fs.readFileSync(f, "utf8") : "") + stderr;
    },
    async close() {
      const c = child;
      child = undefined;
      if (c && c.exitCode === null) {
        const exited = new Promise((r) => c.once("exit", r));
        c.kill("SIGTERM");
        await exited;
      }
      fs.rmSync(dir, { recursive: true, force: true });
    },
  };
}
