import { client, ok } from "../api.ts";
import type { Audit, AuditEvent, TicketField, User } from "../api-schema.ts";
import { Loadable, useApi } from "../data.tsx";
import { formatDate, t } from "../i18n/index.ts";
import { slaPolicyTitle } from "../admin/sla.ts";
import { KEYS, PRIORITIES, STATUSES, TICKET_TYPES, usersById } from "./model.ts";
import { useWorkspace } from "./workspace.ts";

type Names = { users: Map<number, User>; fields: readonly TicketField[]; groups: Map<number, string> };

/**
 * The ticket's history from its audits (`GET /tickets/:id/audits`), newest first: who changed
 * what and when, each event in words ("Status changed from Open to Pending").
 */
export function TicketHistory(props: { ticketId: number; fields: readonly TicketField[] }) {
  const { pickers } = useWorkspace();
  const history = useApi([...KEYS.ticket(props.ticketId), "audits"], async (signal) => {
    const r = await ok(client.GET("/api/v2/tickets/{id}/audits", { params: { path: { id: props.ticketId }, query: { per_page: 100, sort_order: "desc" } }, signal }));
    const ids = r.audits.flatMap((a) => [
      ...(a.author_id ? [a.author_id] : []),
      ...a.events.flatMap((e) => (e.field_name === "assignee_id" || e.field_name === "requester_id" ? [e.value, e.previous_value].filter((v): v is number => typeof v === "number") : [])),
    ]);
    const users = await usersById(ids, signal).catch(() => new Map<number, User>());
    return { audits: r.audits, users };
  });

  const groups = new Map((pickers?.groups ?? []).map((g) => [g.id, g.name]));
  return (
    <section className="history" aria-labelledby="history-heading">
      <h2 id="history-heading">{t("history.title")}</h2>
      <Loadable state={history} loadingText={t("history.loading")}>
        {({ audits, users }) => <AuditList audits={audits} names={{ users, fields: props.fields, groups }} />}
      </Loadable>
    </section>
  );
}

function AuditList(props: { audits: Audit[]; names: Names }) {
  const { audits, names: all } = props;
  if (audits.length === 0) return <p className="muted">{t("history.empty")}</p>;
  return (
    <>
      {audits.length ? (
        <ol className="audits">
          {audits.map((a) => (
            <li key={a.id}>
              <p className="audit-head">
                <span className="author">{a.author_id ? (all.users.get(a.author_id)?.name ?? t("ticket.unknownUser", { id: a.author_id })) : a.via.channel === "web" ? t("history.notSignedIn") : t("history.system")}</span>{" "}
                <time dateTime={a.created_at}>{formatDate(a.created_at)}</time>
              </p>
              <ul>
                {historySentences(a.events, all).map((line, i) => (
                  <li key={i}>{line}</li>
                ))}
              </ul>
            </li>
          ))}
        </ol>
      ) : null}
    </>
  );
}

/** Audit events as sentences; creation details are folded into one line per field (an SLA policy applied: "SLA policy changed from (empty) to Gold"). */
function historySentences(events: AuditEvent[], names: Names): string[] {
  const out: string[] = [];
  if (events.some((e) => e.type === "Create")) out.push(t("history.created"));
  for (const e of events) {
    if (e.type === "Comment") out.push(e.public ? t("history.publicReply") : t("history.note"));
    else if (e.type === "AgentMacroReference") out.push(t("history.macro", { title: e.macro_title ?? String(e.macro_id ?? "") }));
    else if (e.type === "Create" && e.field_name !== "subject") out.push(t("history.setTo", { field: fieldName(e.field_name, names), value: valueText(e.field_name, e.value, names) }));
    else if (e.type === "Change") {
      if (e.field_name === "tags") {
        const now = Array.isArray(e.value) ? (e.value as string[]) : [];
        const before = Array.isArray(e.previous_value) ? (e.previous_value as string[]) : [];
        const added = now.filter((x) => !before.includes(x));
        const removed = before.filter((x) => !now.includes(x));
        if (added.length) out.push(t("history.tagsAdded", { tags: added.join(", ") }));
        if (removed.length) out.push(t("history.tagsRemoved", { tags: removed.join(", ") }));
      } else {
        out.push(t("history.changed", { field: fieldName(e.field_name, names), from: valueText(e.field_name, e.previous_value, names), to: valueText(e.field_name, e.value, names) }));
      }
    }
  }
  return out;
}

function fieldName(name: string | undefined, names: Names): string {
  switch (name) {
    case "status": return t("ticket.status");
    case "priority": return t("ticket.priority");
    case "type": return t("props.type");
    case "assignee_id": return t("props.assignee");
    case "group_id": return t("props.group");
    case "requester_id": return t("ticket.requester");
    case "organization_id": return t("requester.organization");
    case "subject": return t("list.subject");
    case "tags": return t("ticket.tags");
    case "due_at": return t("history.dueAt");
    case "external_id": return t("history.externalId");
    case "sla_policy": return t("history.slaPolicy");
    default: {
      const f = /^\d+$/.test(name ?? "") ? names.fields.find((x) => x.id === Number(name)) : undefined;
      return f ? f.title : t("history.field", { name: name ?? "" });
    }
  }
}

function valueText(name: string | undefined, v: unknown, names: Names): string {
  if (v === null || v === undefined || v === "") return t("history.empty.value");
  if (name === "status" && STATUSES.includes(v as never)) return t(`status.${v as (typeof STATUSES)[number]}`);
  if (name === "priority" && PRIORITIES.includes(v as never)) return t(`priority.${v as (typeof PRIORITIES)[number]}`);
  if (name === "type" && TICKET_TYPES.includes(v as never)) return t(`type.${v as (typeof TICKET_TYPES)[number]}`);
  if ((name === "assignee_id" || name === "requester_id") && typeof v === "number") return names.users.get(v)?.name ?? t("ticket.unknownUser", { id: v });
  if (name === "group_id" && typeof v === "number") return names.groups.get(v) ?? t("props.groupN", { id: v });
  if (typeof v === "boolean") return v ? t("history.yes") : t("history.no");
  if (name === "sla_policy") return slaPolicyTitle(v) ?? t("history.empty.value");
  if (Array.isArray(v)) return v.join(", ");
  const f = /^\d+$/.test(name ?? "") ? names.fields.find((x) => x.id === Number(name)) : undefined;
  if (f?.type === "tagger") return f.custom_field_options.find((o) => o.value === v)?.name ?? String(v);
  return String(v);
}
