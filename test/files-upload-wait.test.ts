import { describe, expect, it } from "vitest";
import { forgetUpload, trackUpload, uploadsWhenDone, type PickedFile } from "../web/src/components/upload-wait.ts";

/**
 * A form sent while files upload waits for them (web/src/components/upload-wait.ts uploadsWhenDone).
 * A file the person removes while it waits is not sent: neither one still on its way (its upload
 * stops) nor one that had arrived meanwhile.
 */

function deferredUpload() {
  let arrive!: (token: string) => void;
  let signal!: AbortSignal;
  const send = (s: AbortSignal) =>
    new Promise<{ token: string }>((resolve, reject) => {
      signal = s;
      arrive = (token) => resolve({ token });
      s.addEventListener("abort", () => reject(new DOMException("aborted", "AbortError")));
    });
  return { send, arrive: (token: string) => arrive(token), aborted: () => signal.aborted };
}
const uploading = (key: string): PickedFile => ({ key, name: `${key}.txt`, size: 1, state: "uploading" });
const tick = () => new Promise((r) => setTimeout(r, 0));

describe("a form waiting for its uploads", () => {
  it("a file that arrived and was then removed while the form waited is left out", async () => {
    const a = deferredUpload();
    const b = deferredUpload();
    void trackUpload("wait-a", a.send, String);
    void trackUpload("wait-b", b.send, String);
    const sent = uploadsWhenDone([uploading("wait-a"), uploading("wait-b")]);
    b.arrive("token-b");
    await tick();
    // The person removes b (the wrong file) while a is still on its way.
    forgetUpload("wait-b");
    a.arrive("token-a");
    expect(await sent).toEqual(["token-a"]);
  });

  it("a file removed while still uploading: its upload stops and the form goes on without it", async () => {
    const a = deferredUpload();
    const b = deferredUpload();
    void trackUpload("stop-a", a.send, String);
    void trackUpload("stop-b", b.send, String);
    const sent = uploadsWhenDone([uploading("stop-a"), uploading("stop-b")]);
    forgetUpload("stop-b");
    expect(b.aborted()).toBe(true);
    a.arrive("token-a");
    expect(await sent).toEqual(["token-a"]);
  });
});
