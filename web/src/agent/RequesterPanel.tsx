import { client, ok } from "../api.ts";
import { Loadable, useApi } from "../data.tsx";
import { formatDate, t } from "../i18n/index.ts";
import { Link } from "../router.tsx";
import { RestrictionBanner } from "../components/RestrictionBanner.tsx";
import { searchPage } from "./model.ts";

/** Who asked: the requester's name, e-mail and organization, and their other recent tickets. */
export function RequesterPanel(props: { requesterId: number; ticketId: number }) {
  const state = useApi(["requester", props.requesterId, props.ticketId], async (signal) => {
    const { user } = await ok(client.GET("/api/v2/users/{id}", { params: { path: { id: props.requesterId } }, signal }));
    const [organization, recent] = await Promise.all([
      user.organization_id
        ? ok(client.GET("/api/v2/organizations/{id}", { params: { path: { id: user.organization_id } }, signal })).then(
            (r) => r.organization,
            () => null,
          )
        : null,
      searchPage(`requester:${props.requesterId}`, { sort: "updated_at", desc: true, size: 6 }, signal),
    ]);
    return { user, organization, others: recent.results.filter((x) => x.id !== props.ticketId).slice(0, 5) };
  });

  return (
    <section className="requester" aria-labelledby="requester-heading">
      <h2 id="requester-heading">{t("requester.title")}</h2>
      <Loadable state={state} loadingText={t("requester.loading")}>
        {(data) => (
          <>
          <RestrictionBanner user={data.user} />
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
        )}
      </Loadable>
    </section>
  );
}
