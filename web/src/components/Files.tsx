import { useId, useRef, useState } from "react";
import { client, explain, ok, uploadFile } from "../api.ts";
import type { Attachment } from "../api-schema.ts";
import { forgetUpload, trackUpload, type PickedFile } from "./upload-wait.ts";
import { formatBytes, t } from "../i18n/index.ts";

/**
 * Files in the workspace and the help center. `FilePicker` uploads each chosen file at once
 * (`POST /api/v2/uploads`) and hands the form the tokens of those that arrived, for the comment's
 * `uploads`; `AttachmentList` shows a comment's files. A download asks the server for a fresh link
 * first (links are signed for the person and expire in minutes), so a page left open still works.
 */

export type { PickedFile } from "./upload-wait.ts";

/** The tokens of the files that arrived, for `comment.uploads`. */
export const tokensOf = (files: readonly PickedFile[]): string[] => files.flatMap((f) => (f.state === "ready" && f.token ? [f.token] : []));

export { forgetUpload, uploadsWhenDone } from "./upload-wait.ts";
/** Forgets the files a saved comment took (an updater for the picker's state): any chosen since stay. */
export const withoutSent =
  (sent: readonly PickedFile[]) =>
  (files: PickedFile[]): PickedFile[] =>
    files.filter((f) => !sent.some((s) => s.key === f.key));

export function FilePicker(props: { files: PickedFile[]; onChange: (update: (files: PickedFile[]) => PickedFile[]) => void; disabled?: boolean }) {
  const id = useId();
  const input = useRef<HTMLInputElement>(null);
  const update = (key: string, change: Partial<PickedFile>) => props.onChange((fs) => fs.map((f) => (f.key === key ? { ...f, ...change } : f)));

  function choose(list: FileList | null) {
    for (const file of Array.from(list ?? [])) {
      const key = `${file.name}-${file.size}-${Math.random().toString(36).slice(2)}`;
      props.onChange((fs) => [...fs, { key, name: file.name, size: file.size, state: "uploading" }]);
      const arrival = trackUpload(key, (signal) => uploadFile(file, signal), explain);
      void arrival.then((a) => {
        if (a.state !== "removed") update(key, a);
      });
    }
    if (input.current) input.current.value = "";
  }

  function remove(f: PickedFile) {
    props.onChange((fs) => fs.filter((x) => x.key !== f.key));
    // An upload still on its way is stopped, and a form waiting for it goes on without it.
    forgetUpload(f.key);
    // An upload no comment took is removed by the server after a day; say so now.
    if (f.token) void ok(client.DELETE("/api/v2/uploads/{token}", { params: { path: { token: f.token } } })).catch(() => undefined);
  }

  return (
    <div className="files">
      <label htmlFor={id}>{t("hc.files.label")}</label>
      <input id={id} ref={input} type="file" multiple disabled={props.disabled} onChange={(e) => choose(e.target.files)} />
      {props.files.length ? (
        <ul className="picked" aria-label={t("hc.files.chosen")}>
          {props.files.map((f) => (
            <li key={f.key} className={f.state}>
              <span className="name">{f.name}</span> <span className="muted">{formatBytes(f.size)}</span>{" "}
              {f.state === "uploading" ? <span role="status">{t("hc.files.uploading")}</span> : null}
              {f.state === "failed" ? <span role="alert" className="error">{t("hc.files.failed", { reason: f.error ?? "" })}</span> : null}
              <button type="button" className="small secondary" onClick={() => remove(f)} aria-label={t("hc.files.remove", { name: f.name })}>
                {t("hc.files.removeShort")}
              </button>
            </li>
          ))}
        </ul>
      ) : null}
    </div>
  );
}

/** A comment's files: a download link for each that may be served, and why not for the others. */
export function AttachmentList(props: { attachments: readonly Attachment[]; onRedact?: ((a: Attachment) => void) | undefined }) {
  const [error, setError] = useState<string | null>(null);
  // Removal for good is asked about in the page (never a browser dialog).
  const [confirming, setConfirming] = useState<number | null>(null);
  if (props.attachments.length === 0) return null;

  async function download(a: Attachment) {
    setError(null);
    try {
      const fresh = await ok(client.GET("/api/v2/attachments/{id}", { params: { path: { id: a.id } } }));
      if (fresh.attachment.content_url) window.location.assign(fresh.attachment.content_url);
      else setError(t("hc.files.notReady", { name: a.file_name }));
    } catch (err) {
      setError(explain(err));
    }
  }

  return (
    <div className="attachments">
      <ul aria-label={t("hc.files.list")}>
        {props.attachments.map((a) => (
          <li key={a.id}>
            {a.content_url ? (
              <a
                href={a.content_url}
                download
                onClick={(e) => {
                  e.preventDefault();
                  void download(a);
                }}
              >
                {a.file_name}
              </a>
            ) : (
              <span className="name">{a.file_name}</span>
            )}{" "}
            <span className="muted">{a.deleted ? t("hc.files.redacted") : formatBytes(a.size)}</span>
            {!a.deleted && a.scan_status === "pending" ? <span className="badge scan-pending">{t("hc.files.pending")}</span> : null}
            {a.scan_status === "infected" ? <span className="badge scan-infected">{t("hc.files.infected")}</span> : null}
            {!a.deleted && a.scan_status === "unscannable" && !a.content_url ? <span className="badge scan-infected">{t("hc.files.unscannable")}</span> : null}
            {props.onRedact && !a.deleted && confirming !== a.id ? (
              <button type="button" className="small secondary" onClick={() => setConfirming(a.id)} aria-label={t("ticket.redactFile", { name: a.file_name })}>
                {t("ticket.redactShort")}
              </button>
            ) : null}
            {props.onRedact && confirming === a.id ? (
              <span className="confirm" role="group" aria-label={t("ticket.redactFile", { name: a.file_name })}>
                <span>{t("ticket.redactConfirm", { name: a.file_name })}</span>{" "}
                <button
                  type="button"
                  className="small danger"
                  onClick={() => {
                    setConfirming(null);
                    props.onRedact?.(a);
                  }}
                >
                  {t("ticket.redactShort")}
                </button>{" "}
                <button type="button" className="small secondary" onClick={() => setConfirming(null)}>
                  {t("ticket.redactKeep")}
                </button>
              </span>
            ) : null}
          </li>
        ))}
      </ul>
      {error ? (
        <p role="alert" className="error">
          {error}
        </p>
      ) : null}
    </div>
  );
}
