import fs from "node:fs";
import http from "node:http";
import type { Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { hasSigninLink, linkIn, linkTo, startSmtpPeer, type SmtpPeer } from "../support/smtp-peer.ts";
import { DESKTOP, PHONE, XSS_IMG, XSS_SCRIPT, expectAccessible, expectInert as expectInertIn, shot, signIn, startHarness, visible, type Harness } from "./support.ts";

/**
 * The help center in Chromium, one story in order. The owner requires consent in the admin center.
 * A Japanese visitor (browser locale ja-JP) opens `/`, sees Japanese, is refused without consent,
 * sends a request carrying script payloads, asks for a sign-in link that a real SMTP peer catches,
 * signs in with it and finds the request under My requests; the agent's public reply is there,
 * the internal note is not; the visitor replies, reads My information, and switches language (the
 * choice survives a reload). A filled honeypot and the per-address form limit get clear messages.
 * Every page passes axe-core and runs nothing from the payloads; screenshots hc-*.png.
 */

const PASSWORD = "Correct horse battery 9";
const EMAIL = "yui@example.test";
const NAME = `結衣 ${XSS_IMG}`;
const SUBJECT = `プリンターが動きません ${XSS_SCRIPT}`;
const BODY = `今朝から印刷できません。\n<img src=x onerror=alert(3)> ${XSS_SCRIPT}`;
const CONSENT = "お問い合わせへの回答のために、Acme が送信内容を保存することに同意します。";
const CONSENT_DEFAULT = "I agree that Acme stores what I send to answer my request.";
const CONSENT_SV = "Jag godkänner att Acme sparar det jag skickar för att kunna svara.";
const NOTE = "INTERNAL-NOTE-do-not-show";

let h: Harness;
let smtp: SmtpPeer;
let acme: string;
let owner: { cookie: string; csrf: string };
const expectInert = (page: Page) => expectInertIn(h, page);

function httpJson(method: string, path: string, opts: { body?: unknown; headers?: Record<string, string>; host?: string } = {}): Promise<{ status: number; body: any; headers: http.IncomingHttpHeaders }> {
  return new Promise((resolve, reject) => {
    const payload = opts.body === undefined ? undefined : JSON.stringify(opts.body);
    const req = http.request(
      { host: "127.0.0.1", port: h.server.port, method, path, headers: { host: opts.host ?? `acme.localhost:${h.server.port}`, ...(payload ? { "content-type": "application/json", "content-length": String(Buffer.byteLength(payload)) } : {}), ...opts.headers } },
      (res) => {
        let text = "";
        res.on("data", (c: Buffer) => (text += c.toString()));
        res.on("end", () => resolve({ status: res.statusCode ?? 0, body: text ? JSON.parse(text) : undefined, headers: res.headers }));
      },
    );
    req.on("error", reject);
    if (payload) req.write(payload);
    req.end();
  });
}
const asOwner = (method: string, path: string, body?: unknown) => httpJson(method, path, { body, headers: { cookie: owner.cookie, "x-csrf-token": owner.csrf } });

beforeAll(async () => {
  smtp = await startSmtpPeer();
  h = await startHarness({ VAULTDESK_SMTP_URL: smtp.url, VAULTDESK_MAIL_FROM: "Acme Support <help@acme.test>" });
  const setupUrl = /(http:\/\/\S+\/setup\?token=\S+)/.exec(h.server.output())?.[1];
  const token = new URL(setupUrl!).searchParams.get("token");
  const r = await httpJson("POST", "/api/v2/setup.json", {
    host: "localhost",
    body: { token, account: { name: "Acme Support", subdomain: "acme" }, owner: { name: "Ann Owner", email: "ann@acme.test", password: PASSWORD } },
  });
  expect(r.status).toBe(201);
  // The first account is the default one, served on the bare host; the links it sends name that host.
  acme = h.base;
  const s = await httpJson("POST", "/api/v2/session.json", { body: { email: "ann@acme.test", password: PASSWORD } });
  expect(s.status).toBe(201);
  owner = { cookie: (s.headers["set-cookie"] as string[])[0]!.split(";")[0]!, csrf: s.body.session.csrf_token };
});

afterAll(async () => {
  await h?.close();
  await smtp?.close();
});

describe("help center in Chromium", () => {
  let visitor: Page;
  let requestId: number;

  it("lets the owner require consent in the admin center", async () => {
    const page = await h.newPage();
    await page.goto(`${acme}/admin/help-center`);
    await signIn(page, "ann@acme.test", PASSWORD);
    await visible(page.getByRole("heading", { name: "Help center" }));
    await visible(page.getByText("Customers sign in with a one-time link sent by e-mail."));
    await page.getByLabel("Require consent on the request form").check();
    // A default text, and texts of their own for Japanese and Swedish visitors.
    await page.getByLabel("Consent text").fill(CONSENT_DEFAULT);
    await page.getByLabel("Text in 日本語").fill(CONSENT);
    await page.getByLabel("Text in Svenska").fill(CONSENT_SV);
    await page.getByRole("button", { name: "Save" }).click();
    await visible(page.getByRole("status").getByText("Saved."));
    await page.reload();
    await visible(page.getByRole("heading", { name: "Help center" }));
    expect(await page.getByLabel("Text in 日本語").inputValue()).toBe(CONSENT);
    expect(await page.getByLabel("Text in Svenska").inputValue()).toBe(CONSENT_SV);
    await shot(page, "hc-admin-settings-desktop");
    await expectAccessible(page, "the help center settings");
  });

  it("shows a Japanese visitor the form in Japanese and refuses a request without consent", async () => {
    visitor = await h.newPage(undefined, { locale: "ja-JP" });
    await visitor.goto(`${acme}/`);
    await visible(visitor.getByRole("heading", { name: "リクエストを送信" }));
    expect(await visitor.locator("html").getAttribute("lang")).toBe("ja");
    await visible(visitor.getByText("Acme Support ヘルプセンター"));
    await visitor.getByLabel("お名前").fill(NAME);
    await visitor.getByLabel("メールアドレス").fill(EMAIL);
    await visitor.getByLabel("件名").fill(SUBJECT);
    await visitor.getByLabel("詳細").fill(BODY);
    await visible(visitor.getByText(CONSENT));
    expect(await visitor.locator("#hc-consent-text").getAttribute("lang")).toBe("ja");
    expect(await visitor.getByText(CONSENT_DEFAULT).count()).toBe(0);
    await visitor.getByRole("button", { name: "リクエストを送信" }).click();
    await visible(visitor.getByRole("alert").getByText("リクエストを送信するには、同意事項に同意してください。"));
    await visitor.getByLabel("上記の内容を読み、同意します。").check();
    // A photo of the problem goes with the request (uploaded at once, before anyone is signed in).
    await visitor.getByLabel("ファイルを添付（任意）").setInputFiles({ name: "printer-error.txt", mimeType: "text/plain", buffer: Buffer.from("E-502 paper jam\n") });
    await visible(visitor.getByRole("button", { name: "printer-error.txt を削除" }));
    await expect.poll(() => visitor.getByText("アップロード中…").count()).toBe(0);
    await shot(visitor, "hc-form-desktop");
    await expectAccessible(visitor, "the request form");
    await visitor.getByRole("button", { name: "リクエストを送信" }).click();
    const done = visitor.getByRole("status").getByText(/リクエスト #\d+ を受け付けました/);
    await visible(done);
    requestId = Number(/#(\d+)/.exec((await done.textContent())!)![1]);
    await expectInert(visitor);

    const phone = await h.newPage(PHONE, { locale: "ja-JP" });
    await phone.goto(`${acme}/`);
    await visible(phone.getByRole("heading", { name: "リクエストを送信" }));
    await shot(phone, "hc-form-phone");
    await expectAccessible(phone, "the request form on a phone");
  });

  it("signs the visitor in with the e-mailed link and lists the request", async () => {
    await visitor.getByRole("link", { name: "サインイン", exact: true }).click();
    await visible(visitor.getByRole("heading", { name: "サインイン", exact: true }));
    // The e-mail link is the way in; a password is a folded second choice, said to be for staff.
    await visible(visitor.getByRole("button", { name: "サインインリンクを送信" }));
    const passwordChoice = visitor.getByText("サポート担当者の方、またはパスワードをお持ちの方：パスワードでサインイン");
    await visible(passwordChoice);
    expect(await visitor.getByLabel("パスワード", { exact: true }).isVisible()).toBe(false);
    await passwordChoice.click();
    await visible(visitor.getByLabel("パスワード", { exact: true }));
    await visible(visitor.getByText(/パスワードはありません/));
    await passwordChoice.click();
    await expectAccessible(visitor, "the sign-in page");
    await shot(visitor, "hc-signin-desktop");
    const since = smtp.messages.length;
    await visitor.getByLabel("メールアドレス").first().fill(EMAIL);
    await visitor.getByRole("button", { name: "サインインリンクを送信" }).click();
    await visible(visitor.getByRole("status").getByText(/サインインリンクをお送りしました/));
    const mail = await smtp.waitFor(EMAIL, { since, match: hasSigninLink });
    expect(mail.subject).toBe("Acme Support のサインインリンク");
    const link = linkIn(mail);
    expect(link.startsWith(`${acme}/signin?token=vdl_`)).toBe(true);

    await visitor.goto(link);
    await visible(visitor.getByRole("heading", { name: "サインインを完了する" }));
    expect(visitor.url(), "the token leaves the address bar").toBe(`${acme}/signin`);
    await visitor.getByRole("button", { name: "続行" }).click();
    await visible(visitor.getByRole("heading", { name: "マイリクエスト" }));
    await visible(visitor.getByRole("link", { name: SUBJECT }));
    await visible(visitor.getByText("対応中"));
    await shot(visitor, "hc-requests-desktop");
    await expectAccessible(visitor, "My requests");
    await expectInert(visitor);
  });

  it("shows the agent's public reply but never the internal note, and takes a reply", async () => {
    expect((await asOwner("PUT", `/api/v2/tickets/${requestId}.json`, { ticket: { comment: { body: "ご不便をおかけしております。電源を入れ直してください。" }, status: "pending" } })).status).toBe(200);
    expect((await asOwner("PUT", `/api/v2/tickets/${requestId}.json`, { ticket: { comment: { body: NOTE, public: false } } })).status).toBe(200);
    await visitor.reload();
    await visitor.getByRole("link", { name: SUBJECT }).click();
    await visible(visitor.getByRole("heading", { name: `リクエスト #${requestId}` }));
    await visible(visitor.getByText("電源を入れ直してください。"));
    await visible(visitor.getByText("お客様の返信待ち"));
    expect(await visitor.content()).not.toContain(NOTE);
    // The file sent with the request downloads as it was sent.
    const [file] = await Promise.all([visitor.waitForEvent("download"), visitor.getByRole("link", { name: "printer-error.txt" }).click()]);
    expect(file.suggestedFilename()).toBe("printer-error.txt");
    expect(fs.readFileSync((await file.path())!, "utf8")).toBe("E-502 paper jam\n");
    // A file whose upload fails while the reply waits for it: nothing is sent, and the page says why.
    let refuse = () => {};
    const refused = new Promise<void>((resolve) => (refuse = resolve));
    await visitor.route("**/api/v2/uploads**", async (route) => {
      await refused;
      await route.fulfill({ status: 503, contentType: "application/json", body: JSON.stringify({ error: "Unavailable" }) });
    });
    await visitor.getByLabel("ファイルを添付（任意）").setInputFiles({ name: "lost.txt", mimeType: "text/plain", buffer: Buffer.from("lost") });
    await visitor.getByLabel("返信").fill(`直りました ${XSS_IMG}`);
    await visitor.getByRole("button", { name: "返信を送信" }).click();
    await visible(visitor.getByRole("button", { name: "送信中…" }));
    refuse();
    await visible(visitor.getByText("ファイルを添付できなかったため、送信しませんでした。", { exact: false }));
    expect((await asOwner("GET", `/api/v2/tickets/${requestId}/comments.json`)).body.comments.map((c: { body: string }) => c.body)).not.toContain(`直りました ${XSS_IMG}`);
    await visitor.unroute("**/api/v2/uploads**");
    await visitor.getByRole("button", { name: "lost.txt を削除" }).click();
    // The file's upload is held until the reply is sent: sending waits for it, then sends both.
    let release = () => {};
    const held = new Promise<void>((resolve) => (release = resolve));
    await visitor.route("**/api/v2/uploads**", async (route) => {
      await held;
      await route.continue();
    });
    await visitor.getByLabel("ファイルを添付（任意）").setInputFiles({ name: "after.txt", mimeType: "text/plain", buffer: Buffer.from("works now") });
    await visible(visitor.getByRole("button", { name: "after.txt を削除" }));
    await visible(visitor.getByRole("status").getByText("アップロード中…"));
    await visitor.getByLabel("返信").fill(`直りました ${XSS_IMG}`);
    await visitor.getByRole("button", { name: "返信を送信" }).click();
    await visible(visitor.getByRole("button", { name: "送信中…" }));
    const before = await asOwner("GET", `/api/v2/tickets/${requestId}/comments.json`);
    expect(before.body.comments.map((c: { body: string }) => c.body), "nothing is sent while the file uploads").not.toContain(`直りました ${XSS_IMG}`);
    release();
    await visible(visitor.getByRole("status").getByText("返信を送信しました。"));
    await visitor.unroute("**/api/v2/uploads**");
    await visible(visitor.locator("ol.conversation li.mine").getByText(`直りました ${XSS_IMG}`));
    await visible(visitor.locator("ol.conversation li.mine").getByRole("link", { name: "after.txt" }));
    await visible(visitor.getByText("対応中").first());
    await shot(visitor, "hc-request-desktop");
    await expectAccessible(visitor, "a request");
    await visitor.setViewportSize(PHONE);
    await shot(visitor, "hc-request-phone");
    await visitor.setViewportSize(DESKTOP);
    await expectInert(visitor);
    // The agent sees the reply in the ticket's conversation.
    const comments = await asOwner("GET", `/api/v2/tickets/${requestId}/comments.json`);
    expect(comments.body.comments.map((c: { body: string }) => c.body)).toContain(`直りました ${XSS_IMG}`);
    // The visitor marks the request solved, without another word.
    await visitor.getByLabel("問題は解決しました：このリクエストを解決済みにする").check();
    await visitor.getByRole("button", { name: "解決済みにする" }).click();
    await visible(visitor.getByRole("status").getByText("リクエストを解決済みにしました。"));
    await visible(visitor.locator(".badge.status-solved", { hasText: "解決済み" }));
    expect(await visitor.getByLabel("問題は解決しました：このリクエストを解決済みにする").count()).toBe(0);
    await expectAccessible(visitor, "a solved request");
    expect((await asOwner("GET", `/api/v2/tickets/${requestId}.json`)).body.ticket.status).toBe("solved");
    expect((await asOwner("GET", `/api/v2/tickets/${requestId}/comments.json`)).body.comments).toHaveLength(comments.body.comments.length);
  });

  it("shows My information: profile, requests, messages, consent record, sessions", async () => {
    await visitor.getByRole("link", { name: "登録情報" }).click();
    await visible(visitor.getByRole("heading", { name: "登録情報" }));
    await visible(visitor.getByRole("definition").getByText(EMAIL));
    await visible(visitor.getByRole("definition").getByText(NAME));
    await visible(visitor.locator(".pd-consents").getByText(CONSENT));
    await visible(visitor.locator(".pd-consents").getByText(/バージョン 1/));
    await visible(visitor.getByText(/開始 .*アドレス 127\.0\.0\.1/).first());
    await visible(visitor.locator("#main dd", { hasText: "日本語" }));
    // A copy to keep: the same data as a JSON file.
    const [download] = await Promise.all([visitor.waitForEvent("download"), visitor.getByRole("button", { name: "コピーをダウンロード (JSON)" }).click()]);
    expect(download.suggestedFilename()).toMatch(/^my-information-\d{4}-\d{2}-\d{2}\.json$/);
    const copy = JSON.parse(fs.readFileSync((await download.path())!, "utf8"));
    expect(copy.profile).toMatchObject({ email: EMAIL, name: NAME });
    expect(JSON.stringify(copy)).toContain(CONSENT);
    await shot(visitor, "hc-my-information-desktop");
    await expectAccessible(visitor, "My information");
    await visitor.setViewportSize(PHONE);
    await shot(visitor, "hc-my-information-phone");
    await expectAccessible(visitor, "My information on a phone");
    await visitor.setViewportSize(DESKTOP);
    await expectInert(visitor);
  });

  it("makes a request about their data from My information, verified by being signed in", async () => {
    const form = visitor.getByRole("region", { name: "ご自身のデータに関するリクエスト" });
    await form.getByLabel("ご希望の内容").selectOption("erasure");
    await form.getByLabel("お知らせいただきたいこと（任意）").fill("退会しました");
    await form.getByRole("button", { name: "リクエストを送信" }).click();
    await visible(form.getByRole("status").getByText(/^リクエスト #\d+ を受け付けました。.+ までにお答えします。$/));
    await visible(form.getByText(/データを削除してほしい、受付 .+：受付済み$/));
    await expectAccessible(visitor, "My information with a data request");
    const listed = await asOwner("GET", "/api/v2/data_subject_requests.json");
    expect(listed.body.data_subject_requests[0]).toMatchObject({ type: "erasure", source: "self", verified: true, verification_method: "signed_in_session", note: "退会しました" });
  });

  it("switches language with the switcher, and remembers the choice", async () => {
    await visitor.getByLabel("言語").selectOption("en");
    await visible(visitor.getByRole("heading", { name: "My information" }));
    expect(await visitor.locator("html").getAttribute("lang")).toBe("en");
    await visitor.reload();
    await visible(visitor.getByRole("heading", { name: "My information" }));
    for (const [code, heading] of [["ko", "내 정보"], ["zh-CN", "我的信息"], ["sv", "Mina uppgifter"]] as const) {
      await visitor.getByRole("banner").getByRole("combobox").selectOption(code);
      await visible(visitor.getByRole("heading", { name: heading }));
      expect(await visitor.locator("html").getAttribute("lang")).toBe(code);
    }
    await visitor.getByRole("banner").getByRole("combobox").selectOption("ja");
    await visible(visitor.getByRole("heading", { name: "登録情報" }));
    const phone = await h.newPage(PHONE, { locale: "ja-JP" });
    await phone.goto(`${acme}/requests`);
    await visible(phone.getByRole("heading", { name: "サインイン", exact: true }));
    await visible(phone.getByText("リクエストと登録情報を確認するには、サインインしてください。"));
    await shot(phone, "hc-signin-phone");

    // The consent text follows the visitor's language, and falls back to the default text.
    const swede = await h.newPage(undefined, { locale: "sv-SE" });
    await swede.goto(`${acme}/`);
    await visible(swede.getByText(CONSENT_SV));
    await shot(swede, "hc-form-sv-desktop");
    await swede.getByLabel("Språk").selectOption("ko");
    await visible(swede.getByText(CONSENT_DEFAULT));
    expect(await swede.getByText(CONSENT_SV).count()).toBe(0);
    await expectInert(swede);
  });

  it("refuses a filled honeypot and the form past its limit, with clear messages", async () => {
    const bot = await h.newPage(undefined, { locale: "ja-JP" });
    await bot.goto(`${acme}/`);
    await visible(bot.getByRole("heading", { name: "リクエストを送信" }));
    const fill = async () => {
      await bot.getByLabel("お名前").fill("Bot");
      await bot.getByLabel("メールアドレス", { exact: true }).fill("bot@example.test");
      await bot.getByLabel("件名").fill("Cheap pills");
      await bot.getByLabel("詳細").fill("Buy now");
      await bot.getByLabel("上記の内容を読み、同意します。").check();
    };
    await fill();
    await bot.locator("#hc-website").fill("http://spam.example", { force: true });
    await bot.getByRole("button", { name: "リクエストを送信" }).click();
    await visible(bot.getByRole("alert").getByText(/自動送信と判断されたため/));
    const search = await asOwner("GET", "/api/v2/users/search.json?query=bot@example.test");
    expect(search.body.users).toEqual([]);

    // Use up the per-address allowance, then the page says when to try again.
    await bot.locator("#hc-website").fill("", { force: true });
    let limited = false;
    for (let i = 0; i < 10 && !limited; i++) {
      const r = await httpJson("POST", "/api/v2/requests.json", { body: { request: { subject: "x", comment: { body: "y" }, requester: { name: "z", email: "z@example.test" } } } });
      limited = r.status === 429;
    }
    expect(limited).toBe(true);
    await bot.getByRole("button", { name: "リクエストを送信" }).click();
    await visible(bot.getByRole("alert").getByText(/お使いのネットワークからの試行が多すぎます。\d+ 分後にもう一度お試しください。/));
    await shot(bot, "hc-rate-limited-desktop");
    await expectAccessible(bot, "the refused form");
    await expectInert(bot);
  });

  it("changes the visitor's e-mail address only through the link sent to the new address", async () => {
    const next = `yui.new.${Date.now()}@example.test`;
    await visitor.goto(`${acme}/my-information`);
    await visible(visitor.getByRole("heading", { name: "登録情報" }));
    const since = smtp.messages.length;
    await visitor.getByLabel("新しいメールアドレス").fill(next);
    await visitor.getByRole("button", { name: "確認リンクを送信" }).click();
    await visible(visitor.getByRole("status").getByText(`${next} にリンクをお送りしました。`, { exact: false }));
    await visible(visitor.getByText(`確認待ち: ${next}`));
    // Nothing has changed yet; the old address is told.
    await visible(visitor.getByRole("definition").getByText(EMAIL));
    // Notifications of the request may reach the same address meanwhile: the notice is found by its subject.
    expect((await smtp.waitFor(EMAIL, { since, match: (m) => m.subject === "メールアドレスの変更について" })).subject).toBe("メールアドレスの変更について");
    await shot(visitor, "hc-change-email-desktop");
    await expectAccessible(visitor, "My information with a change waiting");
    const mail = await smtp.waitFor(next, { since });
    expect(mail.subject).toBe("新しいメールアドレスの確認");
    const link = linkTo(mail, "/confirm-email");
    expect(link.startsWith(`${acme}/confirm-email?token=vde_`)).toBe(true);

    await visitor.goto(link);
    await visible(visitor.getByRole("heading", { name: "新しいメールアドレスの確認" }));
    expect(visitor.url(), "the token leaves the address bar").toBe(`${acme}/confirm-email`);
    await visitor.getByRole("button", { name: "確認する" }).click();
    await visible(visitor.getByRole("status").getByText(new RegExp(`メールアドレスが ${next.replace(/\./g, "\\.")} になりました`)));
    // The change ended every session: the header no longer says who is signed in.
    await visible(visitor.locator("header").getByRole("link", { name: "サインイン", exact: true }));
    expect(await visitor.getByText("サインアウト", { exact: true }).count()).toBe(0);
    await shot(visitor, "hc-confirm-email-desktop");
    await expectAccessible(visitor, "the confirmed change");
    // Confirming ended the visitor's sessions: My information asks to sign in again.
    await visitor.goto(`${acme}/my-information`);
    await visible(visitor.getByRole("heading", { name: "サインイン", exact: true }));
    // The same link a second time: a clear refusal.
    await visitor.goto(link);
    await visitor.getByRole("button", { name: "確認する" }).click();
    await visible(visitor.getByRole("alert").getByText("このリンクはすでに使用されています。アドレスは変更済みです。"));
    await expectInert(visitor);
  });
});
