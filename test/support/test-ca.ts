import { execFileSync } from "node:child_process";
import fs from "node:fs";
import path from "node:path";

/** Files of a certificate for 127.0.0.1 signed by a CA of its own, made in `dir`. */
export type TestCertificate = {
  /** The CA's certificate (PEM file), for a client that verifies. */
  caFile: string;
  /** The server's key and certificate (PEM files), and their contents. */
  keyFile: string;
  certFile: string;
  key: string;
  cert: string;
};

/**
 * A CA and a server certificate for 127.0.0.1 (subjectAltName IP), valid two days, made with
 * openssl from the base system, for TLS peers started by a test on loopback.
 */
export function makeTestCertificate(dir: string, caName: string): TestCertificate {
  const run = (...args: string[]) => execFileSync("openssl", args, { cwd: dir, stdio: "pipe" });
  run("req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", "ca.key", "-out", "ca.pem", "-days", "2", "-subj", `/CN=${caName}`);
  run("req", "-newkey", "rsa:2048", "-nodes", "-keyout", "server.key", "-out", "server.csr", "-subj", "/CN=127.0.0.1");
  fs.writeFileSync(path.join(dir, "ext.cnf"), "subjectAltName=IP:127.0.0.1\n");
  run("x509", "-req", "-in", "server.csr", "-CA", "ca.pem", "-CAkey", "ca.key", "-CAcreateserial", "-out", "server.pem", "-days", "2", "-extfile", "ext.cnf");
  const keyFile = path.join(dir, "server.key");
  const certFile = path.join(dir, "server.pem");
  return { caFile: path.join(dir, "ca.pem"), keyFile, certFile, key: fs.readFileSync(keyFile, "utf8"), cert: fs.readFileSync(certFile, "utf8") };
}
