import { AttachmentList, FilePicker, uploadsWhenDone, withoutSent, type PickedFile } from "../components/Files.tsx";
import { useState, type FormEvent } from "react";
import { ApiError, client, ok } from "../api.ts";
import type { RequestComment, RequestUser, User } from "../api-schema.ts";
import { ErrorText, Field, StatusText } from "../components/Field.tsx";
import { Loadable, useApi, type ApiState } from "../data.tsx";
import { formatDate, t } from "../i18n/index.ts";
import { Link, PageHeading } from "../router.tsx";
import { explainHc } from "./help-api.ts";
import { StatusBadge } from "./StatusBadge.tsx";
import { RequestFieldValues } from "./RequestFields.tsx";
import { RatingBox } from "./RatingBox.tsx";
import { canBeRatedByMe, satisfactionOf, type SatisfactionScore } from "../satisfaction.ts";

const PER_PAGE = 25;

type Tab = "mine" | "ccd" | "organization";

/**
 * Whether the person's organization shares its requests with its members (Zendesk's shared
 * organizations). End users cannot read their organization itself, so this asks for its requests:
 * the server answers them to a member of a sharing organization and 404 to anyone else.
 */
export function useSharedOrganization(me: User): ApiState<boolean> {
  const org = me.organization_id;
  return useApi(org ? ["requests", "organization", org, "shared"] : null, async (signal) => {
    try {
      await ok(client.GET("/api/v2/organizations/{id}/requests", { params: { path: { id: org! }, query: { per_page: 1 } }, signal }));
      return true;
    } catch (err) {
      if (err instanceof ApiError && err.status === 404) return false;
      throw err;
    }
  });
}

/** Where each tab of the requests list lives. */
export const TAB_PATHS: Record<Tab, string> = { mine: "/requests", ccd: "/requests/ccd", organization: "/requests/organization" };

/**
 * `/requests`: the signed-in person's requests, most recent activity first; `/requests/ccd`: those
 * they are copied on (a tab); and, when their organization shares its requests,
 * `/requests/organization`: the organization's (a tab).
 */
export function MyRequests(props: { me: User; tab: Tab }) {
  const [page, setPage] = useState(1);
  const shared = useSharedOrganization(props.me);
  const org = props.me.organization_id;
  const mine = props.tab === "mine";
  const ccd = props.tab === "ccd";
  // Lists of one's own kind: one's own requests, and those one is copied on.
  const personal = mine || ccd;
  const list = useApi(personal || (shared.data && org) ? ["requests", props.tab, page] : null, async (signal) => {
    const query = { page, per_page: PER_PAGE, sort_by: "updated_at", sort_order: "desc" } as const;
    const r = mine
      ? await ok(client.GET("/api/v2/requests", { params: { query }, signal }))
      : ccd
        ? await ok(client.GET("/api/v2/requests/ccd", { params: { query }, signal }))
        : await ok(client.GET("/api/v2/organizations/{id}/requests", { params: { path: { id: org! }, query }, signal }));
    return { requests: r.requests, count: r.count ?? r.requests.length };
  });
  const data = list.data;
  const title = mine ? t("hc.requests.title") : ccd ? t("hc.requests.ccdTitle") : t("hc.requests.orgTitle");
  const tabs: Array<[Tab, string]> = [["mine", t("hc.requests.mineTab")], ["ccd", t("hc.requests.ccdTab")], ...(shared.data ? [["organization", t("hc.requests.orgTab")] as [Tab, string]] : [])];
  return (
    <main id="main" className="page">
      <PageHeading>{title}</PageHeading>
      <nav className="hc-tabs" aria-label={t("hc.requests.tabs")}>
        <ul>
          {tabs.map(([tab, label]) => (
            <li key={tab}>
              <Link to={TAB_PATHS[tab]} aria-current={props.tab === tab ? "page" : undefined}>
                {label}
              </Link>
            </li>
          ))}
        </ul>
      </nav>
      {props.tab === "organization" && (!org || shared.data === false) ? (
        <p className="notice">
          {t("hc.requests.notShared")} <Link to="/requests">{t("hc.request.back")}</Link>
        </p>
      ) : null}
      {props.tab === "organization" && shared.error ? (
        <Loadable state={shared} loadingText={t("hc.loading")} explain={explainHc}>
          {() => null}
        </Loadable>
      ) : null}
      {personal || shared.data ? (
        <Loadable state={list} loadingText={t("hc.loading")} explain={explainHc}>
          {() => null}
        </Loadable>
      ) : null}
      {data && data.requests.length === 0 ? (
        mine ? (
          <p className="empty">
            {t("hc.requests.empty")} <Link to="/">{t("hc.nav.submit")}</Link>
          </p>
        ) : (
          <p className="empty">{ccd ? t("hc.requests.ccdEmpty") : t("hc.requests.orgEmpty")}</p>
        )
      ) : null}
      {data && data.requests.length > 0 ? (
        <>
          <p className="summary">{t("hc.requests.count", { count: data.count })}</p>
          <table className="tickets hc-requests">
            <thead>
              <tr>
                <th scope="col">{t("hc.requests.id")}</th>
                <th scope="col">{t("hc.requests.subject")}</th>
                {personal ? null : <th scope="col">{t("hc.requests.requester")}</th>}
                <th scope="col">{t("hc.requests.status")}</th>
                <th scope="col">{t("hc.requests.updated")}</th>
              </tr>
            </thead>
            <tbody>
              {data.requests.map((r) => (
                <tr key={r.id}>
                  <td>#{r.id}</td>
                  <td className="subject">
                    <Link to={`/requests/${r.id}`}>{r.subject}</Link>
                  </td>
                  {personal ? null : <td>{r.requester_id === props.me.id ? t("hc.request.you") : t("hc.requests.colleague")}</td>}
                  <td>
                    <StatusBadge status={r.status} />
                  </td>
                  <td>
                    <time dateTime={r.updated_at}>{formatDate(r.updated_at)}</time>
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
          <nav className="pager" aria-label={title}>
            {page > 1 ? (
              <button type="button" className="secondary" onClick={() => setPage(page - 1)}>
                {t("hc.requests.previous")}
              </button>
            ) : null}
            {page * PER_PAGE < data.count ? (
              <button type="button" className="secondary" onClick={() => setPage(page + 1)}>
                {t("hc.requests.next")}
              </button>
            ) : null}
          </nav>
        </>
      ) : null}
    </main>
  );
}

/**
 * `/requests/:id`: one request, its public conversation only (the server never sends notes), and a
 * reply box. The person's own, or, in an organization that shares its requests, a colleague's: the
 * server lets members read and reply to each other's requests there, and answers 404 otherwise.
 */
export function RequestPage(props: { id: number; me: User; rate?: SatisfactionScore | null }) {
  const state = useApi(["request", props.id], async (signal) => {
    const [r, c, f] = await Promise.all([
      ok(client.GET("/api/v2/requests/{id}", { params: { path: { id: props.id } }, signal })),
      allComments(props.id, signal),
      // The titles of the fields the account shows customers (their values come with the request).
      ok(client.GET("/api/v2/ticket_fields", { signal })),
    ]);
    return { request: r.request, fields: f.ticket_fields, ...c };
  });
  const sharedOrg = useSharedOrganization(props.me);
  const [reply, setReply] = useState("");
  const [busy, setBusy] = useState(false);
  const [status, setStatus] = useState<string | null>(null);
  const [replyError, setReplyError] = useState<string | null>(null);
  const [files, setFiles] = useState<PickedFile[]>([]);
  const [solve, setSolve] = useState(false);
  const missing = state.error instanceof ApiError && state.error.status === 404;
  const request = state.data?.request;
  const comments = state.data?.comments ?? [];
  const users = state.data?.users ?? new Map<number, RequestUser>();

  async function send(e: FormEvent) {
    e.preventDefault();
    setReplyError(null);
    setStatus(null);
    setBusy(true);
    const solving = solve && request?.can_be_solved_by_me === true;
    try {
      const uploads = await uploadsWhenDone(files);
      if (uploads === null) return setReplyError(t("hc.files.failedMeanwhile"));
      const worded = reply.trim() !== "" || uploads.length > 0;
      const comment = worded ? { comment: { body: reply, ...(uploads.length ? { uploads } : {}) } } : {};
      await ok(client.PUT("/api/v2/requests/{id}", { params: { path: { id: props.id } }, body: { request: { ...comment, ...(solving ? { solved: true as const } : {}) } } }));
      setReply("");
      setFiles(withoutSent(files));
      setSolve(false);
      setStatus(solving ? t("hc.request.solvedDone") : t("hc.request.sent"));
      await state.reload();
    } catch (err) {
      setReplyError(explainHc(err));
    } finally {
      setBusy(false);
    }
  }

  if (missing)
    return (
      <main id="main" className="page narrow">
        <PageHeading>{t("hc.request.notFound")}</PageHeading>
        <p>
          <Link to="/requests">{t("hc.request.back")}</Link>
        </p>
      </main>
    );
  if (!request)
    return (
      <main id="main" className="page">
        <Loadable state={state} loadingText={t("hc.loading")} explain={explainHc}>
          {() => null}
        </Loadable>
      </main>
    );
  return (
    <main id="main" className="page">
      <p>
        {/* Someone else's request: the organization's (shared), or one the person is copied on. */}
        {request.requester_id === props.me.id ? (
          <Link to="/requests">{t("hc.request.back")}</Link>
        ) : props.me.organization_id !== null && request.organization_id === props.me.organization_id && sharedOrg.data ? (
          <Link to="/requests/organization">{t("hc.request.backOrg")}</Link>
        ) : (
          <Link to="/requests/ccd">{t("hc.request.backCcd")}</Link>
        )}
      </p>
      <PageHeading>{t("hc.request.title", { id: request.id })}</PageHeading>
      <p className="request-subject">{request.subject}</p>
      <p className="summary">
        <StatusBadge status={request.status} /> {t("hc.request.submitted", { when: formatDate(request.created_at) })}
      </p>
      <RequestFieldValues values={request.custom_fields} fields={state.data?.fields ?? []} />
      <RatingBox
        requestId={request.id}
        rating={satisfactionOf(request)}
        canRate={canBeRatedByMe(request)}
        mine={request.requester_id === props.me.id}
        closed={request.status === "closed"}
        preselect={props.rate ?? null}
        onRated={state.reload}
      />
      <h2>{t("hc.request.conversation")}</h2>
      <ol className="conversation">
        {comments.map((c) => {
          const author = users.get(c.author_id);
          const mine = c.author_id === props.me.id;
          return (
            <li key={c.id} className={mine ? "mine" : "theirs"}>
              <p className="meta">
                <strong>{mine ? t("hc.request.you") : author?.name ?? t("hc.request.support")}</strong>
                {author?.agent ? <span className="muted"> · {t("hc.request.support")}</span> : null} ·{" "}
                <time dateTime={c.created_at}>{formatDate(c.created_at)}</time>
              </p>
              <div className="body">{c.body}</div>
              <AttachmentList attachments={c.attachments} />
            </li>
          );
        })}
      </ol>
      {request.status === "closed" ? (
        <p className="notice">{t("hc.request.closed")}</p>
      ) : (
        <form className="form" onSubmit={send} aria-busy={busy}>
          {request.status === "solved" ? <p className="help">{t("hc.request.solvedHint")}</p> : null}
          <Field id="hc-reply" label={t("hc.request.reply")}>
            <textarea value={reply} onChange={(e) => setReply(e.target.value)} required={!solve} rows={5} maxLength={65_536} />
          </Field>
          <FilePicker files={files} onChange={setFiles} disabled={busy} />
          {request.can_be_solved_by_me ? (
            <label className="check">
              <input type="checkbox" checked={solve} onChange={(e) => setSolve(e.target.checked)} /> {t("hc.request.solveBox")}
            </label>
          ) : null}
          <ErrorText text={replyError} />
          <StatusText text={status} />
          <button type="submit" disabled={busy}>
            {busy ? t("hc.request.sending") : solve ? (reply.trim() !== "" ? t("hc.request.solveSend") : t("hc.request.solveOnly")) : t("hc.request.send")}
          </button>
        </form>
      )}
    </main>
  );
}

/** Every public comment of a request, oldest first, page after page (the API's pages hold up to 100). */
async function allComments(id: number, signal: AbortSignal): Promise<{ comments: RequestComment[]; users: Map<number, RequestUser> }> {
  const comments: RequestComment[] = [];
  const users = new Map<number, RequestUser>();
  for (let page = 1; ; page++) {
    const r = await ok(client.GET("/api/v2/requests/{id}/comments", { params: { path: { id }, query: { page, per_page: 100 } }, signal }));
    comments.push(...r.comments);
    for (const u of r.users) users.set(u.id, u);
    if (!r.next_page || r.comments.length === 0) return { comments, users };
  }
}
