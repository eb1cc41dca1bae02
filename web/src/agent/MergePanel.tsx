import { useState, type FormEvent } from "react";
import { ApiError, client, explain, ok } from "../api.ts";
import { CheckField, ErrorText, Field } from "../components/Field.tsx";
import { t } from "../i18n/index.ts";
import { navigate } from "../router.tsx";

/**
 * "Merge into another ticket" on the ticket page: the agent types the number of the ticket that
 * stays, sees its subject, confirms in the page (no browser dialog), and lands on that ticket once
 * the server has merged (POST /tickets/{id}/merge: this one closed, the other given a note and this
 * one's people as CCs). Only offered when the server says the ticket's properties may be changed;
 * the server decides the rest (a ticket the agent cannot see is "not found").
 */
export function MergePanel(props: { ticketId: number; canReplyPublicly: boolean; busy: boolean; onMerged: () => Promise<void> | void }) {
  const [open, setOpen] = useState(false);
  const [number, setNumber] = useState("");
  const [target, setTarget] = useState<{ id: number; subject: string } | null>(null);
  const [isPublic, setIsPublic] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const [working, setWorking] = useState<"find" | "merge" | null>(null);

  function reset() {
    setOpen(false);
    setNumber("");
    setTarget(null);
    setError(null);
    setIsPublic(false);
  }

  async function find(e: FormEvent) {
    e.preventDefault();
    setError(null);
    setTarget(null);
    const id = Number(number.trim().replace(/^#/, ""));
    if (!Number.isSafeInteger(id) || id < 1) return setError(t("merge.notFound", { id: number.trim() }));
    if (id === props.ticketId) return setError(t("merge.self"));
    setWorking("find");
    try {
      const r = await ok(client.GET("/api/v2/tickets/{id}", { params: { path: { id } } }));
      if (r.ticket.status === "closed") setError(t("merge.closedTarget", { id }));
      else setTarget({ id: r.ticket.id, subject: r.ticket.subject });
    } catch (err) {
      setError(err instanceof ApiError && err.status === 404 ? t("merge.notFound", { id }) : explain(err));
    } finally {
      setWorking(null);
    }
  }

  async function merge() {
    if (!target) return;
    setError(null);
    setWorking("merge");
    try {
      await ok(client.POST("/api/v2/tickets/{id}/merge", { params: { path: { id: target.id } }, body: { ids: [props.ticketId], target_comment_is_public: isPublic, source_comment_is_public: isPublic } }));
      await props.onMerged();
      navigate(`/agent/tickets/${target.id}`, { force: true });
    } catch (err) {
      setError(explain(err));
    } finally {
      setWorking(null);
    }
  }

  if (!open) {
    return (
      <p className="actions">
        <button type="button" className="secondary small" disabled={props.busy} onClick={() => setOpen(true)}>
          {t("merge.open")}
        </button>
      </p>
    );
  }
  return (
    <section className="panel" aria-labelledby="merge-heading">
      <h2 id="merge-heading">{t("merge.title")}</h2>
      <p className="muted">{t("merge.intro")}</p>
      <form onSubmit={(e) => void find(e)}>
        <Field id="merge-target" label={t("merge.targetLabel")} help={t("merge.targetHelp")}>
          <input
            type="text"
            inputMode="numeric"
            autoComplete="off"
            value={number}
            onChange={(e) => {
              setNumber(e.target.value);
              setTarget(null);
            }}
            autoFocus
          />
        </Field>
        <p className="actions">
          <button type="submit" className="secondary" disabled={working !== null || number.trim() === ""}>
            {working === "find" ? t("merge.finding") : t("merge.find")}
          </button>
          {target ? null : (
            <button type="button" className="secondary" onClick={reset}>
              {t("merge.cancel")}
            </button>
          )}
        </p>
      </form>
      <ErrorText text={error} />
      {target ? (
        <div role="group" aria-labelledby="merge-confirm-text">
          <p id="merge-confirm-text">
            <strong>{t("merge.confirmText", { source: props.ticketId, id: target.id, subject: target.subject })}</strong>
          </p>
          {props.canReplyPublicly ? <CheckField id="merge-public" label={t("merge.public")} checked={isPublic} onChange={setIsPublic} /> : null}
          <div className="actions">
            <button type="button" className="danger" disabled={working !== null} onClick={() => void merge()}>
              {working === "merge" ? t("merge.working") : t("merge.confirm")}
            </button>
            <button type="button" className="secondary" disabled={working !== null} onClick={reset}>
              {t("merge.cancel")}
            </button>
          </div>
        </div>
      ) : null}
    </section>
  );
}
