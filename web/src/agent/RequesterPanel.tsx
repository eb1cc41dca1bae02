import { useEffect, useState } from "react";
import { api, explain } from "../api.ts";
import { ErrorText } from "../components/Field.tsx";
import { formatDate, t } from "../i18n/index.ts";
import { Link } from "../router.tsx";
import { searchPage, type Organization, type Ticket, type User } from "./model.ts";

type Loaded = { user: User; organization: Organization | null; others: Ticket[] };

/** Who asked: the requester's name, e-mail and organization, and their other recent tickets. */
export function RequesterPanel(props: { requesterId: number; ticketId: number }) {
  const [data, setData] = useState<Loaded | null>(null);
  const [error, setError] = useState<string | null>(null);

  useEffect(() => {
    let live = true;
    setData(null);
    (async () => {
      const { user } = await api<{ user: User }>("GET", `users/${props.requesterId}.json`);
      const [org, recent] = await Promise.all([
        user.organization_id ? api<{ organization: Organization }>("GET", `organizations/${user.organization_id}.json`).then((r) => r.organization, () => null) : Promise.resolve(null),
        searchPage(`requester:${props.requesterId}`, { sort: "updated_at", desc: true, size: 6 }),
      ]);
      if (live) setData({ user, organization: org, others: recent.results.filter((x) => x.id !== props.ticketId).slice(0, 5) });
    })().catch((err: unknown) => live && setError(explain(err)));
    return () => {
      live = false;
    };
  }, [props.requesterId, props.ticketId]);

  return (
    <section className="requester" aria-labelledby="requester-heading">
      <h2 id="requester-heading">{t("requester.title")}</h2>
      <ErrorText text={error} />
      {!data && !error ? <p role="status">{t("requester.loading")}</p> : null}
      {data ? (
        <>
          <dl>
            <dt>{t("requester.name")}</dt>
            <dd>{data.user.name}</dd>
            <dt>{t("requester.email")}</dt>
            <dd>{data.user.email ?? t("requester.noEmail")}</dd>
            <dt>{t("requester.organization")}</dt>
            <dd>{data.organization?.name ?? t("requester.noOrganization")}</dd>
          </dl>
          <h3>{t("requester.others")}</h3>
          {data.others.length ? (
            <ul className="other-tickets">
              {data.others.map((o) => (
                <li key={o.id}>
                  <Link to={`/agent/tickets/${o.id}`}>{t("requester.ticket", { id: o.id, subject: o.subject })}</Link>{" "}
                  <span className={`badge status-${o.status}`}>{t(`status.${o.status}`)}</span>{" "}
                  <time dateTime={o.updated_at}>{formatDate(o.updated_at)}</time>
                </li>
              ))}
            </ul>
          ) : (
            <p className="muted">{t("requester.noOthers")}</p>
          )}
        </>
      ) : null}
    </section>
  );
}
