import { useEffect, useRef, useState, type FormEvent } from "react";
import { ApiError, explain } from "../api.ts";
import { ConfirmDelete } from "../components/ConfirmDelete.tsx";
import { ErrorText, Field } from "../components/Field.tsx";
import { useApi, useInvalidate } from "../data.tsx";
import { locale, t } from "../i18n/index.ts";
import { PageHeading } from "../router.tsx";
import { ListTable } from "./ListTable.tsx";
import { hoursApi } from "./sla-api.ts";
import { detailFor, intervalErrors, intervalsToWeek, rangeOfInterval, timeZones, weeklyMinutes, weekToIntervals, type Details, type Holiday, type Schedule, type Week } from "./sla.ts";

const KEY = ["business_hours"] as const;
const holidaysKey = (id: number) => ["business_hours", id, "holidays"] as const;
const detailsOf = (err: unknown): Details => (err instanceof ApiError ? err.body?.details : undefined);

/** A weekday's name in the current language (0: Sunday, as the API counts). */
function dayName(day: number): string {
  // 2023-01-01 was a Sunday.
  return new Intl.DateTimeFormat(locale(), { weekday: "long", timeZone: "UTC" }).format(new Date(Date.UTC(2023, 0, 1 + day)));
}
/** The schedules in the order they were made (the first is the default). */
const byId = (schedules: readonly Schedule[]): Schedule[] => [...schedules].sort((a, b) => a.id - b.id);
const browserZone = (): string => {
  try {
    return Intl.DateTimeFormat().resolvedOptions().timeZone || "UTC";
  } catch {
    return "UTC";
  }
};

/**
 * `/admin/business-hours` (owners and admins): the account's schedules (the first, lowest id, is
 * the default the SLA policies count business hours on), New schedule (a name and a time zone; the
 * server gives it Monday to Friday 09:00–17:00), and for each: rename or a new time zone, its
 * weekly hours (each day closed or one or more ranges of local time) and its holidays. Deleting a
 * schedule asks first. The server's refusals are shown where they belong.
 */
export function BusinessHoursPage() {
  const schedules = useApi(KEY, (signal) => hoursApi.schedules(signal));
  const [mode, setMode] = useState<{ kind: "list" } | { kind: "new" } | { kind: "edit"; id: number } | { kind: "delete"; schedule: Schedule }>({ kind: "list" });
  const [notice, setNotice] = useState<string | null>(null);
  const invalidate = useInvalidate();
  const list = byId(schedules.data ?? []);
  const defaultId = list[0]?.id;
  const open = (m: typeof mode) => {
    setNotice(null);
    setMode(m);
  };
  const editing = mode.kind === "edit" ? list.find((s) => s.id === mode.id) : undefined;

  return (
    <main id="main" className="main rules-page hours-page">
      <PageHeading>{t("sla.hours.title")}</PageHeading>
      <p className="help">{t("sla.hours.intro")}</p>
      <p role="status" className="status-text">
        {notice ?? ""}
      </p>
      {mode.kind === "new" ? (
        <NewSchedule
          onDone={(created, message) => {
            setNotice(message);
            setMode(created ? { kind: "edit", id: created.id } : { kind: "list" });
          }}
        />
      ) : null}
      {mode.kind === "delete" ? (
        <ConfirmDelete
          id="schedule-delete"
          title={t("sla.hours.deleteTitle", { name: mode.schedule.name })}
          text={t("sla.hours.deleteText")}
          confirm={t("sla.hours.deleteConfirm")}
          cancel={t("sla.cancel")}
          remove={async () => {
            await hoursApi.remove(mode.schedule.id);
            await invalidate(KEY);
            setNotice(t("sla.hours.deleted", { name: mode.schedule.name }));
            setMode({ kind: "list" });
          }}
          onCancel={() => setMode({ kind: "list" })}
        />
      ) : null}
      {editing ? <ScheduleEditor key={editing.id} schedule={editing} isDefault={editing.id === defaultId} onClose={() => open({ kind: "list" })} /> : null}
      {mode.kind === "list" ? (
        <>
          <p className="macros-tools">
            <button type="button" id="schedule-new" onClick={() => open({ kind: "new" })}>
              {t("sla.hours.new")}
            </button>
          </p>
          <ListTable
            state={schedules}
            rows={byId}
            rowKey={(s) => s.id}
            className="macros-table rules-table schedules-table"
            caption={t("sla.hours.title")}
            loadingText={t("sla.hours.loading")}
            empty={t("sla.hours.none")}
            columns={[
              {
                label: t("sla.hours.col.name"),
                heading: true,
                cell: (s) => (
                  <>
                    {s.name} {s.id === defaultId ? <span className="badge">{t("sla.hours.default")}</span> : null}
                  </>
                ),
              },
              { label: t("sla.hours.col.timeZone"), cell: (s) => s.time_zone },
              { label: t("sla.hours.col.weekly"), cell: (s) => t("sla.hours.perWeek", { hours: Math.round((weeklyMinutes(s.intervals) / 60) * 10) / 10 }) },
            ]}
            actions={(s) => (
              <>
                <button type="button" id={`schedule-edit-${s.id}`} className="secondary small" aria-label={t("sla.hours.editNamed", { name: s.name })} onClick={() => open({ kind: "edit", id: s.id })}>
                  {t("sla.edit")}
                </button>
                <button type="button" id={`schedule-delete-${s.id}`} className="secondary small" aria-label={t("sla.hours.deleteNamed", { name: s.name })} onClick={() => open({ kind: "delete", schedule: s })}>
                  {t("sla.delete")}
                </button>
              </>
            )}
          />
        </>
      ) : null}
    </main>
  );
}

/** The time zone select: every IANA name the browser knows. */
function ZoneSelect(props: { id: string; value: string; error?: string | undefined; onChange: (zone: string) => void }) {
  return (
    <Field id={props.id} label={t("sla.hours.timeZone")} help={t("sla.hours.timeZoneHelp")} error={props.error}>
      <select value={props.value} onChange={(e) => props.onChange(e.target.value)}>
        {timeZones(props.value).map((z) => (
          <option key={z} value={z}>
            {z}
          </option>
        ))}
      </select>
    </Field>
  );
}

function NewSchedule(props: { onDone: (created: Schedule | null, message: string | null) => void }) {
  const invalidate = useInvalidate();
  const [name, setName] = useState("");
  const [zone, setZone] = useState(browserZone);
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<unknown>(null);
  const details = detailsOf(error);
  async function save(e: FormEvent) {
    e.preventDefault();
    setBusy(true);
    setError(null);
    try {
      const created = await hoursApi.create({ name: name.trim(), time_zone: zone });
      await invalidate(KEY);
      props.onDone(created, t("sla.hours.created", { name: created.name }));
    } catch (err) {
      setError(err);
    } finally {
      setBusy(false);
    }
  }
  const nameError = detailFor(details, "name");
  const zoneError = detailFor(details, "time_zone");
  return (
    <form className="panel view-form" onSubmit={(e) => void save(e)} aria-labelledby="schedule-new-title" aria-busy={busy}>
      <h2 id="schedule-new-title">{t("sla.hours.newTitle")}</h2>
      <p className="help">{t("sla.hours.newHelp")}</p>
      <Field id="schedule-name" label={t("sla.hours.name")} error={nameError}>
        <input value={name} onChange={(e) => setName(e.target.value)} required autoComplete="off" autoFocus />
      </Field>
      <ZoneSelect id="schedule-zone" value={zone} error={zoneError} onChange={setZone} />
      <ErrorText text={error && !nameError && !zoneError ? explain(error) : null} />
      <p className="actions">
        <button type="submit" disabled={busy || !name.trim()}>
          {t("sla.hours.create")}
        </button>
        <button type="button" className="secondary" onClick={() => props.onDone(null, null)} disabled={busy}>
          {t("sla.cancel")}
        </button>
      </p>
    </form>
  );
}

/** One schedule: its name and time zone, its weekly hours and its holidays, each saved on its own. */
function ScheduleEditor(props: { schedule: Schedule; isDefault: boolean; onClose: () => void }) {
  const { schedule } = props;
  return (
    <section className="schedule-editor" aria-labelledby="schedule-editor-title">
      <h2 id="schedule-editor-title">
        {t("sla.hours.editTitle", { name: schedule.name })} {props.isDefault ? <span className="badge">{t("sla.hours.default")}</span> : null}
      </h2>
      <p>
        <button type="button" id="schedule-back" className="secondary" onClick={props.onClose}>
          {t("sla.hours.back")}
        </button>
      </p>
      <NameForm schedule={schedule} />
      <WeekForm schedule={schedule} />
      <Holidays schedule={schedule} />
    </section>
  );
}

function NameForm(props: { schedule: Schedule }) {
  const { schedule } = props;
  const invalidate = useInvalidate();
  const [name, setName] = useState(schedule.name);
  const [zone, setZone] = useState(schedule.time_zone);
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<unknown>(null);
  const [notice, setNotice] = useState<string | null>(null);
  const details = detailsOf(error);
  async function save(e: FormEvent) {
    e.preventDefault();
    setBusy(true);
    setError(null);
    setNotice(null);
    try {
      const saved = await hoursApi.update(schedule.id, { name: name.trim(), time_zone: zone });
      await invalidate(KEY);
      setNotice(t("sla.hours.saved", { name: saved.name }));
    } catch (err) {
      setError(err);
    } finally {
      setBusy(false);
    }
  }
  const nameError = detailFor(details, "name");
  const zoneError = detailFor(details, "time_zone");
  return (
    <form className="panel view-form" onSubmit={(e) => void save(e)} aria-labelledby="schedule-names-title" aria-busy={busy}>
      <h3 id="schedule-names-title">{t("sla.hours.namesTitle")}</h3>
      <Field id="schedule-rename" label={t("sla.hours.name")} error={nameError}>
        <input value={name} onChange={(e) => setName(e.target.value)} required autoComplete="off" />
      </Field>
      <ZoneSelect id="schedule-rezone" value={zone} error={zoneError} onChange={setZone} />
      <ErrorText text={error && !nameError && !zoneError ? explain(error) : null} />
      <p role="status" className="status-text">
        {notice ?? ""}
      </p>
      <p className="actions">
        <button type="submit" id="schedule-save" disabled={busy || !name.trim()}>
          {t("sla.save")}
        </button>
      </p>
    </form>
  );
}

/** The weekly hours: a row a day, Sunday first as the API counts (closed, or its ranges of local time). */
function WeekForm(props: { schedule: Schedule }) {
  const { schedule } = props;
  const invalidate = useInvalidate();
  const [week, setWeek] = useState<Week>(() => intervalsToWeek(schedule.intervals));
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<unknown>(null);
  const [sent, setSent] = useState<Week | null>(null);
  const [notice, setNotice] = useState<string | null>(null);
  const { errors } = weekToIntervals(week);
  // The server's word on an interval, shown on the range it came from.
  const serverRows: Record<string, string> = {};
  let serverOther: string | null = null;
  for (const [index, text] of Object.entries(intervalErrors(detailsOf(error)))) {
    const key = sent ? rangeOfInterval(sent, Number(index)) : undefined;
    if (key) serverRows[key] ??= text;
    else serverOther ??= text;
  }
  const other = error ? (serverOther ?? (Object.keys(serverRows).length ? null : explain(error))) : null;
  const change = (day: number, ranges: Week[number]) => {
    setNotice(null);
    setError(null);
    setWeek((w) => w.map((r, d) => (d === day ? ranges : r)));
  };
  async function save(e: FormEvent) {
    e.preventDefault();
    const { intervals, errors: local } = weekToIntervals(week);
    if (Object.keys(local).length) return;
    setBusy(true);
    setError(null);
    setNotice(null);
    setSent(week);
    try {
      await hoursApi.workweek(schedule.id, intervals);
      await invalidate(KEY);
      setNotice(t("sla.hours.weekSaved"));
    } catch (err) {
      setError(err);
    } finally {
      setBusy(false);
    }
  }
  return (
    <form className="panel view-form week-form" onSubmit={(e) => void save(e)} aria-labelledby="week-title" aria-busy={busy}>
      <h3 id="week-title">{t("sla.hours.weekTitle")}</h3>
      <p className="help">{t("sla.hours.weekHelp", { zone: schedule.time_zone })}</p>
      {week.map((ranges, day) => {
        const name = dayName(day);
        return (
          <fieldset key={day} className={ranges.length ? "week-day open" : "week-day"} id={`day-${day}`}>
            {/* A name on its own starts with a capital (Swedish writes "måndag" within a sentence). */}
            <legend>{name.charAt(0).toLocaleUpperCase(locale()) + name.slice(1)}</legend>
            <label className="check">
              <input type="checkbox" id={`day-${day}-open`} checked={ranges.length > 0} onChange={(e) => change(day, e.target.checked ? [{ start: "09:00", end: "17:00" }] : [])} />
              {t("sla.hours.openOn", { day: name })}
            </label>
            {ranges.length === 0 ? <span className="muted">{t("sla.hours.closed")}</span> : null}
            {ranges.map((r, i) => {
              const key = `${day}-${i}`;
              const message = errors[key] ? t(errors[key]) : serverRows[key];
              return (
                <div key={i} className="week-range" role="group" aria-label={t("sla.hours.rangeLabel", { day: name, n: i + 1 })}>
                  <Field id={`day-${day}-${i}-start`} label={t("sla.hours.from")}>
                    <input value={r.start} required inputMode="numeric" placeholder="HH:MM" maxLength={5} autoComplete="off" onChange={(e) => change(day, ranges.map((x, k) => (k === i ? { ...x, start: e.target.value } : x)))} />
                  </Field>
                  <Field id={`day-${day}-${i}-end`} label={t("sla.hours.to")}>
                    <input value={r.end} required inputMode="numeric" placeholder="HH:MM" maxLength={5} autoComplete="off" onChange={(e) => change(day, ranges.map((x, k) => (k === i ? { ...x, end: e.target.value } : x)))} />
                  </Field>
                  {ranges.length > 1 ? (
                    <button type="button" className="secondary small" aria-label={t("sla.hours.removeRange", { day: name, n: i + 1 })} onClick={() => change(day, ranges.filter((_, k) => k !== i))}>
                      {t("rules.remove")}
                    </button>
                  ) : null}
                  {message ? (
                    <p className="error condition-error" id={`day-${day}-${i}-error`} role="alert">
                      {message}
                    </p>
                  ) : null}
                </div>
              );
            })}
            {ranges.length ? (
              <button type="button" className="secondary small week-add" id={`day-${day}-add`} onClick={() => change(day, [...ranges, { start: "13:00", end: "17:00" }])}>
                {t("sla.hours.addRange")}
              </button>
            ) : null}
          </fieldset>
        );
      })}
      <ErrorText text={other} />
      <p role="status" className="status-text">
        {notice ?? ""}
      </p>
      <p className="actions">
        <button type="submit" id="week-save" disabled={busy || Object.keys(errors).length > 0}>
          {t("sla.hours.saveWeek")}
        </button>
      </p>
    </form>
  );
}

/** Holidays by their first day (then as they were made). */
const byDate = (holidays: readonly Holiday[]): Holiday[] => [...holidays].sort((a, b) => a.start_date.localeCompare(b.start_date) || a.id - b.id);

type HolidayInput = { name: string; start_date: string; end_date: string };

/** The schedule's holidays: whole local days off, each with its name and first and last day. */
function Holidays(props: { schedule: Schedule }) {
  const { schedule } = props;
  const holidays = useApi(holidaysKey(schedule.id), (signal) => hoursApi.holidays(schedule.id, signal));
  const invalidate = useInvalidate();
  const [editing, setEditing] = useState<number | "new" | null>(null);
  const [deleting, setDeleting] = useState<number | null>(null);
  // Closing the question (kept) gives the focus back to the Delete button that opened it.
  const back = useRef<string | null>(null);
  useEffect(() => {
    if (deleting !== null || !back.current) return;
    document.getElementById(back.current)?.focus();
    back.current = null;
  }, [deleting]);
  const [notice, setNotice] = useState<string | null>(null);
  const [error, setError] = useState<string | null>(null);
  const reload = () => invalidate(holidaysKey(schedule.id));
  // Asked first; a refusal is shown in the question (ConfirmDelete).
  async function remove(h: Holiday) {
    await hoursApi.removeHoliday(schedule.id, h.id);
    await reload();
    setDeleting(null);
    setNotice(t("sla.holidays.deleted", { name: h.name }));
    document.getElementById("holiday-new")?.focus();
  }
  return (
    <section className="panel holidays" aria-labelledby="holidays-title">
      <h3 id="holidays-title">{t("sla.holidays.title")}</h3>
      <p className="help">{t("sla.holidays.help")}</p>
      <p role="status" className="status-text">
        {notice ?? ""}
      </p>
      <ErrorText text={error} />
      <ListTable
        state={holidays}
        rows={byDate}
        rowKey={(h) => h.id}
        className="macros-table holidays-table"
        caption={t("sla.holidays.title")}
        empty={t("sla.holidays.none")}
        columns={[
          { label: t("sla.holidays.name"), heading: true, cell: (h) => h.name },
          { label: t("sla.holidays.start"), cell: (h) => h.start_date },
          { label: t("sla.holidays.end"), cell: (h) => h.end_date },
        ]}
        replace={(h) =>
          deleting === h.id ? (
            <ConfirmDelete
              id={`holiday-delete-${h.id}-question`}
              title={t("sla.holidays.deleteTitle", { name: h.name })}
              text={t("sla.holidays.deleteText")}
              confirm={t("sla.holidays.deleteConfirm")}
              cancel={t("sla.cancel")}
              remove={() => remove(h)}
              onCancel={() => {
                back.current = `holiday-delete-${h.id}`;
                setDeleting(null);
              }}
            />
          ) : editing === h.id ? (
            <HolidayForm
              idPrefix={`holiday-${h.id}`}
              initial={h}
              submit={t("sla.save")}
              save={async (input) => {
                const saved = await hoursApi.updateHoliday(schedule.id, h.id, input);
                await reload();
                setEditing(null);
                setNotice(t("sla.holidays.saved", { name: saved.name }));
              }}
              onCancel={() => setEditing(null)}
            />
          ) : null
        }
        actions={(h) => (
          <>
            <button type="button" id={`holiday-edit-${h.id}`} className="secondary small" aria-label={t("sla.holidays.editNamed", { name: h.name })} onClick={() => setEditing(h.id)}>
              {t("sla.edit")}
            </button>
            <button
              type="button"
              id={`holiday-delete-${h.id}`}
              className="secondary small"
              aria-label={t("sla.holidays.deleteNamed", { name: h.name })}
              onClick={() => {
                setNotice(null);
                setError(null);
                setDeleting(h.id);
              }}
            >
              {t("sla.delete")}
            </button>
          </>
        )}
      />
      {editing === "new" ? (
        <HolidayForm
          idPrefix="holiday-new"
          initial={{ name: "", start_date: "", end_date: "" }}
          submit={t("sla.holidays.add")}
          save={async (input) => {
            const saved = await hoursApi.createHoliday(schedule.id, input);
            await reload();
            setEditing(null);
            setNotice(t("sla.holidays.added", { name: saved.name }));
          }}
          onCancel={() => setEditing(null)}
        />
      ) : (
        <p>
          <button type="button" id="holiday-new" className="secondary" onClick={() => setEditing("new")}>
            {t("sla.holidays.new")}
          </button>
        </p>
      )}
    </section>
  );
}

/** A holiday's name, first and last day (the last may be left as the first: a single day). */
function HolidayForm(props: { idPrefix: string; initial: HolidayInput; submit: string; save: (input: HolidayInput) => Promise<void>; onCancel: () => void }) {
  const [name, setName] = useState(props.initial.name);
  const [start, setStart] = useState(props.initial.start_date);
  const [end, setEnd] = useState(props.initial.end_date);
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<unknown>(null);
  const details = detailsOf(error);
  const p = props.idPrefix;
  async function save(e: FormEvent) {
    e.preventDefault();
    setBusy(true);
    setError(null);
    try {
      await props.save({ name: name.trim(), start_date: start, end_date: end || start });
    } catch (err) {
      setError(err);
      setBusy(false);
    }
  }
  const nameError = detailFor(details, "name");
  const startError = detailFor(details, "start_date");
  const endError = detailFor(details, "end_date");
  return (
    <form className="holiday-form" onSubmit={(e) => void save(e)} aria-busy={busy} aria-label={props.submit}>
      <Field id={`${p}-name`} label={t("sla.holidays.name")} error={nameError}>
        <input value={name} onChange={(e) => setName(e.target.value)} required autoComplete="off" autoFocus />
      </Field>
      <Field id={`${p}-start`} label={t("sla.holidays.start")} error={startError}>
        <input type="date" value={start} onChange={(e) => setStart(e.target.value)} required />
      </Field>
      <Field id={`${p}-end`} label={t("sla.holidays.end")} help={t("sla.holidays.endHelp")} error={endError}>
        <input type="date" value={end} onChange={(e) => setEnd(e.target.value)} />
      </Field>
      <ErrorText text={error && !nameError && !startError && !endError ? explain(error) : null} />
      <p className="actions">
        <button type="submit" id={`${p}-save`} disabled={busy || !name.trim() || !start}>
          {props.submit}
        </button>
        <button type="button" className="secondary" onClick={props.onCancel} disabled={busy}>
          {t("sla.cancel")}
        </button>
      </p>
    </form>
  );
}
