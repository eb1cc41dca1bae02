import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { buildTenant, buildUser, startTestApp, type TestApp, type TestTenant, openTicket as open } from "./support/harness.ts";
import { asSession, signInByMail } from "./support/people.ts";
import { startSmtpPeer, type SmtpPeer } from "./support/smtp-peer.ts";

/**
 * Highlighted snippets on search hits, over real HTTP: stemmed words, phrases and CJK character
 * pairs marked; markup in content returned as plain text parts; bounded length; internal notes
 * only for readers of notes; a redacted comment's words never shown.
 */

let t: TestApp;
let smtp: SmtpPeer;
beforeAll(async () => {
  smtp = await startSmtpPeer();
  t = await startTestApp({ env: { VAULTDESK_SMTP_URL: smtp.url } });
});
afterAll(async () => {
  await t?.close();
  await smtp?.close();
});

type Part = { text: string; match: boolean };
type Highlights = { subject: Part[]; comment: Part[] };
type Hit = { id: number; highlights?: Highlights };
type As = { email: string; token: string } | undefined;

async function comment(a: TestTenant, id: number, body: string, isPublic = true) {
  const r = await a.api("PUT", `/api/v2/tickets/${id}.json`, { ticket: { comment: { body, public: isPublic } } });
  expect(r.status, r.text).toBe(200);
}
async function hits(a: TestTenant, query: string, as?: As, more = ""): Promise<Hit[]> {
  const r = await a.api("GET", `/api/v2/search.json?query=${encodeURIComponent(query)}${more}`, undefined, as);
  expect(r.status, `${query}: ${r.text}`).toBe(200);
  return r.body.results;
}
const hitOf = async (a: TestTenant, query: string, id: number, as?: As) => {
  const h = (await hits(a, query, as)).find((x) => x.id === id);
  expect(h, query).toBeDefined();
  return h!.highlights!;
};
const marked = (parts: Part[]) => parts.filter((p) => p.match).map((p) => p.text);
const plain = (parts: Part[]) => parts.map((p) => p.text).join("");

describe("snippets", () => {
  let a: TestTenant;
  beforeAll(async () => {
    a = await buildTenant(t, "snip");
  });

  it("marks stemmed words in the subject and in the best-matching comment", async () => {
    const id = await open(a, "Printers offline", "The office is quiet today.");
    await comment(a, id, "Both PRINTERS on floor 3 stopped; the printer queue is stuck.");
    await comment(a, id, "Unrelated follow-up about coffee.");
    const h = await hitOf(a, "printer", id);
    expect(h.subject).toEqual([{ text: "Printers", match: true }, { text: " offline", match: false }]);
    expect(marked(h.comment)).toEqual(["PRINTERS", "printer"]);
    expect(plain(h.comment)).toBe("Both PRINTERS on floor 3 stopped; the printer queue is stuck.");
    // The comment holding more of the query's words wins over the first one that matches.
    const id2 = await open(a, "Toner", "Toner is low.");
    await comment(a, id2, "Toner cartridge ordered from the supplier.");
    expect(plain((await hitOf(a, "toner cartridge", id2)).comment)).toBe("Toner cartridge ordered from the supplier.");
  });

  it("marks a quoted phrase as one run", async () => {
    const id = await open(a, "Tray two", "Again there is a paper jam in tray 2, please help.");
    const h = await hitOf(a, '"paper jam"', id);
    expect(marked(h.comment)).toEqual(["paper jam"]);
    expect(h.subject).toEqual([{ text: "Tray two", match: false }]);
  });

  it("marks Japanese, Chinese and Korean by their characters", async () => {
    const ja = await open(a, "印刷機が壊れました", "紙詰まりが発生しています。印刷機を再起動しました。");
    const hj = await hitOf(a, "印刷機", ja);
    expect(hj.subject).toEqual([{ text: "印刷機", match: true }, { text: "が壊れました", match: false }]);
    expect(marked(hj.comment)).toEqual(["印刷機"]);
    const zh = await open(a, "打印机坏了", "无法打印文件。");
    expect(marked((await hitOf(a, "打印", zh)).comment)).toEqual(["打印"]);
    const ko = await open(a, "프린터가 고장났어요", "용지 걸림이 계속됩니다.");
    expect(marked((await hitOf(a, "프린터", ko)).subject)).toEqual(["프린터"]);
  });

  it("returns markup in content as plain text parts", async () => {
    const id = await open(a, "<img src=x onerror=alert(1)> gadget", 'The <script>alert("gadget")</script> tag & <b>bold</b> gadget text');
    const h = await hitOf(a, "gadget", id);
    expect(plain(h.subject)).toBe("<img src=x onerror=alert(1)> gadget");
    expect(marked(h.comment)).toEqual(["gadget", "gadget"]);
    expect(plain(h.comment)).toBe('The <script>alert("gadget")</script> tag & <b>bold</b> gadget text');
    for (const p of [...h.subject, ...h.comment]) expect(Object.keys(p).sort()).toEqual(["match", "text"]);
  });

  it("keeps a snippet to about 200 characters, cut at word boundaries, around the first match", async () => {
    const before = "lorem ipsum dolor sit amet ".repeat(20);
    const after = " and then many more words follow".repeat(20);
    const id = await open(a, "Long one", `${before}the zeppelin landed${after}`);
    const h = await hitOf(a, "zeppelin", id);
    const text = plain(h.comment);
    expect(text.length).toBeLessThanOrEqual(202);
    expect(text.length).toBeGreaterThan(120);
    expect(text.startsWith("…")).toBe(true);
    expect(text.endsWith("…")).toBe(true);
    expect(marked(h.comment)).toEqual(["zeppelin"]);
    // Whole words at both cuts: every word shown is a word of the text.
    const shown = text.slice(1, -1).trim().split(/\s+/);
    const all = new Set(`${before}the zeppelin landed${after}`.split(/\s+/));
    expect(shown.every((w) => all.has(w))).toBe(true);
    // Whitespace runs (new lines) are shown as one space.
    const id2 = await open(a, "Lines", "first line\n\n   kumquat on the second line");
    expect(plain((await hitOf(a, "kumquat", id2)).comment)).toBe("first line kumquat on the second line");
  });

  it("reads a hit's first comment and its latest 19, no more", async () => {
    const id = await open(a, "Long conversation", "First words: aardvark.");
    for (let i = 2; i <= 25; i++) await comment(a, id, i === 5 ? "Only here: bandicoot." : i === 25 ? "Last: capybara." : `Reply ${i}.`);
    expect(marked((await hitOf(a, "aardvark", id)).comment)).toEqual(["aardvark"]);
    expect(marked((await hitOf(a, "capybara", id)).comment)).toEqual(["capybara"]);
    // The index finds the fifth comment's word; its snippet is not read for it.
    expect((await hitOf(a, "bandicoot", id)).comment).toEqual([]);
  });

  it("carries no highlights on searches without words", async () => {
    const id = await open(a, "Filter only", "Nothing special.", { tags: ["filteronly"] });
    const r = await hits(a, "tags:filteronly");
    expect(r.map((x) => x.id)).toEqual([id]);
    expect(r[0]!.highlights).toBeUndefined();
  });

  it("pages: highlights follow each page's hits, in their order (relevance or a sort)", async () => {
    const b = await buildTenant(t, "snippage");
    const ids = [await open(b, "Walrus one", "walrus"), await open(b, "Walrus two", "walrus walrus"), await open(b, "Walrus three", "walrus walrus walrus")];
    for (const more of ["&per_page=2", "&per_page=2&page=2", "&sort_by=created_at&sort_order=asc"]) {
      const r = await hits(b, "walrus", undefined, more);
      for (const h of r) expect(plain(h.highlights!.subject)).toBe(["Walrus one", "Walrus two", "Walrus three"][ids.indexOf(h.id)]);
    }
  });
});

describe("who sees what in a snippet", () => {
  it("shows internal notes to staff only: never in an end user's request search", async () => {
    const a = await buildTenant(t, "snipnote");
    const email = `snip.customer.${Date.now()}@example.test`;
    const eu = await a.api("POST", "/api/v2/users.json", { user: { name: "Customer", email } });
    const id = await open(a, "Laptop will not boot", "My laptop shows a blinking cursor.", { requester_id: eu.body.user.id });
    await comment(a, id, "Internal: laptop warranty void, customer dropped the laptop twice, laptop laptop", false);
    await comment(a, id, "Please try holding the power button of the laptop.");
    // Staff (every staff role reads notes): the note matches best.
    const light = await buildUser(t, a, "light-agent");
    for (const who of [undefined, { email: light.email, token: light.token! }]) {
      expect(plain((await hitOf(a, "laptop warranty", id, who)).comment)).toContain("warranty void");
    }
    // The end user: their request search shows public text only, whatever the query.
    const s = await signInByMail(t, smtp, a, email);
    for (const q of ["laptop", "laptop blinking", '"power button"']) {
      const r = await asSession(t, a, s, "GET", `/api/v2/requests/search.json?query=${encodeURIComponent(q)}`);
      expect(r.status, r.text).toBe(200);
      expect(r.body.requests.map((x: Hit) => x.id)).toEqual([id]);
      expect(r.text).not.toMatch(/warranty|dropped|Internal:/);
      expect(r.body.requests[0].highlights.comment.length).toBeGreaterThan(0);
    }
    const r = await asSession(t, a, s, "GET", `/api/v2/requests/search.json?query=laptop`);
    expect(marked(r.body.requests[0].highlights.subject)).toEqual(["Laptop"]);
    // A note that is the only match: staff find it; the end user finds nothing.
    expect(plain((await hitOf(a, "dropped", id)).comment)).toContain("dropped");
    const none = await asSession(t, a, s, "GET", `/api/v2/requests/search.json?query=dropped`);
    expect([none.body.requests, none.text.includes("dropped")]).toEqual([[], false]);
  });

  it("never shows a redacted comment's words", async () => {
    const a = await buildTenant(t, "snipredact");
    const id = await open(a, "Card problem", "My card number is 4111-1111 and the secret is hunter2zebra, card again");
    const comments = (await a.api("GET", `/api/v2/tickets/${id}/comments.json`)).body.comments as Array<{ id: number }>;
    expect((await hitOf(a, "card", id)).comment.map((p) => p.text).join("")).toContain("hunter2zebra");
    const r = await a.api("PUT", `/api/v2/tickets/${id}/comments/${comments[0]!.id}/redact.json`, { text: "hunter2zebra" });
    expect(r.status, r.text).toBe(200);
    const res = await a.api("GET", `/api/v2/search.json?query=card`);
    expect(res.body.results.map((x: Hit) => x.id)).toEqual([id]);
    expect(res.text).not.toContain("hunter2zebra");
    expect(plain(res.body.results[0].highlights.comment)).toContain("▇");
    expect(await hits(a, "hunter2zebra")).toEqual([]);
  });
});
