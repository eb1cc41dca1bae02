import { Secret, TOTP } from "otpauth";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { expectAccessible, firstAccount, shot, signIn, startHarness, visible, type Harness } from "./support.ts";

/**
 * Two-factor sign-in in Chromium, one story in order: the owner signs in to the workspace, sets
 * up an authenticator app from Sign-in security (the QR code, the key as text — read by the test
 * to compute codes with otpauth, as an app would), confirms with a code and sees the recovery
 * codes once; signs out; signs in again, where the password is followed by the code step: a
 * wrong code is refused with a clear message, the right one opens the workspace. Every page
 * passes axe-core; screenshots two-factor-*.png.
 */

const PASSWORD = "Quartz meadow lantern 58!";
const EMAIL = "ann@acme.test";

let h: Harness;

beforeAll(async () => {
  h = await startHarness();
  await firstAccount(h, PASSWORD);
});
afterAll(async () => h?.close());

const codeAt = (secret: string, at: number) => new TOTP({ secret: Secret.fromBase32(secret) }).generate({ timestamp: at });

describe("two-factor sign-in in Chromium", () => {
  it("is set up from the workspace and then asked for at sign-in", async () => {
    const page = await h.newPage();
    await page.goto(`${h.base}/agent`);
    await signIn(page, EMAIL, PASSWORD);
    await page.getByRole("link", { name: "Sign-in security" }).click();
    await visible(page.getByRole("heading", { name: "Two-factor authentication" }));
    await visible(page.getByText("Two-factor authentication is off."));
    await page.getByRole("button", { name: "Set up an authenticator app" }).click();
    const qr = page.getByRole("img", { name: /QR code to add this account to an authenticator app/ });
    await visible(qr);
    expect(await qr.getAttribute("src")).toMatch(/^data:image\/svg\+xml;base64,/);
    const secret = ((await page.getByTestId("tf-secret").textContent()) ?? "").replace(/\s/g, "");
    expect(secret).toMatch(/^[A-Z2-7]{32}$/);
    await expectAccessible(page, "two-factor set-up");
    await shot(page, "two-factor-setup");

    const enrolledAt = Date.now();
    await page.getByLabel("Authentication code").fill(codeAt(secret, enrolledAt));
    await page.getByRole("button", { name: "Turn on" }).click();
    await visible(page.getByRole("heading", { name: "Your recovery codes" }));
    const codes = await page.locator(".recovery-codes li").allTextContents();
    expect(codes).toHaveLength(10);
    await expectAccessible(page, "recovery codes");
    await shot(page, "two-factor-recovery-codes");
    await page.getByRole("button", { name: "I have saved my recovery codes" }).click();
    await visible(page.getByText("Two-factor authentication is on.").first());
    await visible(page.getByText("10 recovery codes left."));

    await page.getByRole("button", { name: "Sign out" }).click();
    await signIn(page, EMAIL, PASSWORD);
    await visible(page.getByRole("heading", { name: "Two-factor authentication" }));
    await expectAccessible(page, "sign-in code step");
    await shot(page, "two-factor-code-step");
    // A wrong code: a clear refusal, and the form stays for another try.
    await page.getByLabel("Authentication code").fill(codeAt(secret, enrolledAt - 3_600_000));
    await page.getByRole("button", { name: "Verify" }).click();
    await visible(page.getByRole("alert").getByText("That code did not work"));
    // The next time step's code (the one used to turn it on is spent).
    await page.getByLabel("Authentication code").fill(codeAt(secret, Math.max(Date.now(), enrolledAt + 30_000)));
    await page.getByRole("button", { name: "Verify" }).click();
    await visible(page.getByRole("link", { name: "Sign-in security" }));
    expect(h.incidents).toEqual([]);
  });
});
