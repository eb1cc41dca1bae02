import { useState } from "react";
import { client, explain, ok } from "../api.ts";
import type { UserSession } from "../api-schema.ts";
import { Loadable, useApi } from "../data.tsx";
import { formatDate, t } from "../i18n/index.ts";
import { ErrorText, StatusText } from "./Field.tsx";

/**
 * A person's signed-in sessions (browser, OS, address, began, last seen), each with "Sign out".
 * `own`: the signed-in person's own list ("Sign out everywhere else" keeps this session);
 * otherwise an admin's view of someone else's ("End all sessions"). The server decides who may.
 */
export function SessionsList(props: { userId: number; own: boolean; headingId: string }) {
  const key = ["sessions", props.userId];
  const list = useApi(key, async (signal) => (await ok(client.GET("/api/v2/users/{id}/sessions", { params: { path: { id: props.userId } }, signal }))).sessions);
  const [error, setError] = useState<string | null>(null);
  const [status, setStatus] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);

  async function run(call: () => Promise<unknown>, done: string) {
    setBusy(true);
    setError(null);
    setStatus(null);
    try {
      await call();
      // The list first, then the words: what the status says is already on screen.
      await list.reload();
      setStatus(done);
    } catch (err) {
      setError(explain(err));
    } finally {
      setBusy(false);
    }
  }
  const path = { id: props.userId };
  const endOne = (s: UserSession) => run(() => ok(client.DELETE("/api/v2/users/{id}/sessions/{session_id}", { params: { path: { ...path, session_id: s.id } } })), t("sessions.ended", { device: deviceName(s) }));
  const endAll = () =>
    run(
      () => ok(client.DELETE("/api/v2/users/{id}/sessions", { params: { path, query: props.own ? { keep_current: "true" } : {} } })),
      t(props.own ? "sessions.endedOthers" : "sessions.endedAll"),
    );

  return (
    <>
      <StatusText text={status} />
      <ErrorText text={error} />
      <Loadable state={list}>
        {(sessions) =>
          sessions.length === 0 ? (
            <p>{t("sessions.none")}</p>
          ) : (
            <>
              <table className="admin" aria-labelledby={props.headingId}>
                <thead>
                  <tr>
                    <th scope="col">{t("sessions.device")}</th>
                    <th scope="col">{t("sessions.ip")}</th>
                    <th scope="col">{t("sessions.began")}</th>
                    <th scope="col">{t("sessions.lastSeen")}</th>
                    <th scope="col">
                      <span className="sr-only">{t("sessions.actions")}</span>
                    </th>
                  </tr>
                </thead>
                <tbody>
                  {sessions.map((s) => (
                    <tr key={s.id} data-session={s.id}>
                      <td>
                        {deviceName(s)}
                        {s.current ? <strong> {t("sessions.current")}</strong> : null}
                      </td>
                      <td>{s.ip ?? "—"}</td>
                      <td>
                        <time dateTime={s.authenticated_at}>{formatDate(s.authenticated_at)}</time>
                      </td>
                      <td>
                        <time dateTime={s.last_seen_at}>{formatDate(s.last_seen_at)}</time>
                      </td>
                      <td>
                        {s.current ? null : (
                          <button type="button" className="secondary" disabled={busy} onClick={() => void endOne(s)} aria-label={t("sessions.signOutOne", { device: deviceName(s) })}>
                            {t("signout")}
                          </button>
                        )}
                      </td>
                    </tr>
                  ))}
                </tbody>
              </table>
              {props.own && sessions.every((s) => s.current) ? null : (
                <p className="actions">
                  <button type="button" className={props.own ? "secondary" : "danger"} disabled={busy} onClick={() => void endAll()}>
                    {t(props.own ? "sessions.endOthers" : "sessions.endAll")}
                  </button>
                </p>
              )}
            </>
          )
        }
      </Loadable>
    </>
  );
}

function deviceName(s: UserSession): string {
  if (!s.browser && !s.os) return t("sessions.unknownDevice");
  return t("sessions.deviceName", { browser: s.browser ?? t("sessions.unknownBrowser"), os: s.os ?? t("sessions.unknownOs") });
}
