import { describe, expect, it } from "vitest";
import { authVerdict, isBlocked, loopReason, sanitizeMailHtml, singleLine, spamMarked, withoutTag } from "./mail-fns.ts";

const h = (o: Record<string, string>) => new Map(Object.entries(o));

describe("inbound mail rules", () => {
  it("knows loops and bounces", () => {
    expect(loopReason(h({ "auto-submitted": "auto-replied" }), "text/plain", "a@b.test")).toBe("auto_submitted");
    expect(loopReason(h({ "auto-submitted": "no" }), "text/plain", "a@b.test")).toBeUndefined();
    expect(loopReason(h({ precedence: "Bulk" }), "text/plain", "a@b.test")).toBe("bulk");
    expect(loopReason(h({ precedence: "first-class" }), "text/plain", "a@b.test")).toBeUndefined();
    expect(loopReason(h({}), "multipart/report; report-type=delivery-status", "a@b.test")).toBe("bounce");
    expect(loopReason(h({}), "text/plain", null)).toBe("bounce");
  });
  it("decides by DMARC, or by SPF failing with no DKIM pass", () => {
    expect(authVerdict({ spf: "pass", dkim: "none", dmarc: "fail", dkimDomains: [] })).toBe("fail");
    expect(authVerdict({ spf: "softfail", dkim: "fail", dmarc: "none", dkimDomains: [] })).toBe("fail");
    expect(authVerdict({ spf: "fail", dkim: "pass", dmarc: "none", dkimDomains: [] })).toBe("unproven");
    expect(authVerdict({ spf: "pass", dkim: "none", dmarc: "pass", dkimDomains: [] })).toBe("pass");
    expect(authVerdict({ spf: "none", dkim: "none", dmarc: "none", dkimDomains: [] })).toBe("unproven");
  });
  it("reads spam marks, blocklists, tags and subjects", () => {
    expect(spamMarked(h({ "x-spam-flag": "YES" }))).toBe(true);
    expect(spamMarked(h({ "x-spam-status": "No, score=1" }))).toBe(false);
    expect(isBlocked(["@spam.test"], "x@mail.spam.test")).toBe(true);
    expect(isBlocked(["@spam.test"], "x@notspam.test")).toBe(false);
    expect(isBlocked(["bad@x.test"], "BAD@x.test")).toBe(true);
    expect(withoutTag("support+12-abc@x.test")).toBe("support@x.test");
    expect(singleLine("a\r\nBcc: b\u2028c")).toBe("a Bcc: b c");
  });
  it("turns images into text and drops what could load remote content", () => {
    const out = sanitizeMailHtml('<p onclick="x()">Hi</p><img src="http://t.test/p.gif"><img alt="Logo" src="cid:1"><style>p{background:url(http://t.test)}</style><form action="http://t.test"><input></form>');
    expect(out).toBe("<p>Hi</p><span>[image]</span><span>[image: Logo]</span>");
  });
});
