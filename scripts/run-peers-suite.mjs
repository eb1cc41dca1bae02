#!/usr/bin/env node
// Runs the peers suite (vitest.peers.config.ts: real programs of other projects on loopback —
// ClamAV's daemon, SimpleSAMLphp as a SAML identity provider under PHP's built-in server, and nginx
// as a reverse proxy) when
// those programs are installed; says so, loudly, when they are not, and exits 0 so `npm test`
// passes on a machine with only Node (as scripts/run-e2e.mjs does for Chromium).
//   --check  runs nothing: exits 1 when the suite would be skipped (.ci/run uses it, so CI never skips).
// TEST_CLAMD names the clamd binary; TEST_CLAMD=/nonexistent shows what a machine without it gets.
// TEST_NGINX names the nginx binary.
// TEST_SIMPLESAMLPHP names SimpleSAMLphp's folder (Debian: /usr/share/simplesamlphp); TEST_PHP the php binary.
import { spawnSync } from "node:child_process";
import fs from "node:fs";
import path from "node:path";

const check = process.argv.includes("--check");
const places = process.env.TEST_CLAMD ? [process.env.TEST_CLAMD] : ["/usr/sbin/clamd", "/usr/bin/clamd"];
const clamd = places.find((p) => fs.existsSync(p));
// The browser tests of the suite (scanned files, SAML sign-in) need Debian's Chromium too.
const chromium = process.env.CHROMIUM_PATH ?? "/usr/bin/chromium";
// SimpleSAMLphp (Debian's "simplesamlphp") run by PHP's CLI server, which needs PHP's DOM/XML extension.
const sspPlaces = process.env.TEST_SIMPLESAMLPHP ? [process.env.TEST_SIMPLESAMLPHP] : ["/usr/share/simplesamlphp"];
const ssp = sspPlaces.find((p) => fs.existsSync(path.join(p, "www", "saml2", "idp", "SSOService.php")));
const phpPlaces = process.env.TEST_PHP ? [process.env.TEST_PHP] : ["/usr/bin/php"];
const php = phpPlaces.find((p) => fs.existsSync(p));
// Debian's nginx as the reverse proxy of the client-address tests (test/peers/nginx-proxy.test.ts).
const nginxPlaces = process.env.TEST_NGINX ? [process.env.TEST_NGINX] : ["/usr/sbin/nginx", "/usr/bin/nginx"];
const nginx = nginxPlaces.find((p) => fs.existsSync(p));
const phpXml = php ? spawnSync(php, ["-r", "exit(class_exists('DOMDocument') && function_exists('mb_strlen') ? 0 : 1);"]).status === 0 : false;

const missing = !clamd
  ? `no clamd (looked at ${places.join(", ")}). Install Debian's "clamav-daemon" package (apt-get install clamav-daemon; no signature download is needed: the tests write their own), or set TEST_CLAMD to the clamd binary`
  : !fs.existsSync(chromium)
    ? `no Chromium at ${chromium} (the suite's browser tests need it). Install Debian's "chromium" package or set CHROMIUM_PATH`
    : !ssp
      ? `no SimpleSAMLphp (looked at ${sspPlaces.join(", ")}; the SAML tests run it as the identity provider). Install Debian's "simplesamlphp" package (apt-get install simplesamlphp php-cli php-xml php-mbstring), or set TEST_SIMPLESAMLPHP to its folder`
      : !php
        ? `no php (looked at ${phpPlaces.join(", ")}; it serves SimpleSAMLphp). Install Debian's "php-cli" package, or set TEST_PHP`
        : !phpXml
          ? `php at ${php} lacks the DOM/XML or mbstring extension SimpleSAMLphp needs. Install Debian's "php-xml" and "php-mbstring" packages`
          : !nginx
            ? `no nginx (looked at ${nginxPlaces.join(", ")}; the client-address tests run it as the reverse proxy). Install Debian's "nginx" package (apt-get install nginx), or set TEST_NGINX to the nginx binary`
            : undefined;
if (missing) {
  const line = `Peer tests SKIPPED: ${missing}, then run npm run test:peers.`;
  if (check) {
    console.error(line);
    process.exit(1);
  }
  console.log(line);
  process.exit(0);
}
console.log(`Peer tests: clamd at ${clamd}, SimpleSAMLphp at ${ssp} (php at ${php}), nginx at ${nginx}.`);
if (check) process.exit(0);
const r = spawnSync("npx", ["vitest", "run", "--config", "vitest.peers.config.ts"], { stdio: "inherit", env: { ...process.env, TEST_CLAMD: clamd, TEST_SIMPLESAMLPHP: ssp, TEST_PHP: php, TEST_NGINX: nginx } });
process.exit(r.status ?? 1);
