import dgram from "node:dgram";

/**
 * A DNS server on loopback that answers every query at once with NXDOMAIN (RFC 1035 header,
 * question echoed). A server started with VAULTDESK_DNS_SERVERS pointing here makes its SPF, DKIM
 * and DMARC lookups without reaching the network: every sender is simply unproven. Close the
 * socket when done.
 */
export function nxdomainServer(): Promise<dgram.Socket> {
  const sock = dgram.createSocket("udp4");
  sock.on("message", (q, from) => {
    if (q.length < 12) return;
    const answer = Buffer.from(q);
    answer[2] = 0x80 | (q[2]! & 0x01); // QR = response, opcode 0, RD copied
    answer[3] = 0x83; // RA, RCODE 3 (NXDOMAIN)
    answer.writeUInt16BE(0, 6); // no answers
    answer.writeUInt16BE(0, 8);
    answer.writeUInt16BE(0, 10);
    sock.send(answer, from.port, from.address);
  });
  return new Promise((resolve) => sock.bind(0, "127.0.0.1", () => resolve(sock)));
}

/** The `host:port` of a DNS server socket, as VAULTDESK_DNS_SERVERS takes it. */
export function dnsServerAddress(sock: dgram.Socket): string {
  const a = sock.address();
  return `${a.address}:${a.port}`;
}
