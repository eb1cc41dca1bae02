import { useEffect, useState, type FormEvent } from "react";
import { api, ApiError, currentSession, signIn, signOut } from "./api.ts";
import { ErrorText, Field } from "./Field.tsx";
import { t } from "./i18n.ts";

type Ticket = { id: number; subject: string; status: string; priority: string | null; updated_at: string };
type Comment = { id: number; body: string; public: boolean; author_id: number; created_at: string };

/** The agent workspace: sign in, the ticket list, a ticket's conversation, new tickets. */
export function Agent() {
  const [signedIn, setSignedIn] = useState<boolean | null>(null);
  useEffect(() => {
    void currentSession().then(setSignedIn);
  }, []);
  if (signedIn === null) return <p className="page">{t("tickets.loading")}</p>;
  if (!signedIn) return <SignIn onDone={() => setSignedIn(true)} />;
  return <Workspace onSignOut={() => setSignedIn(false)} />;
}

function SignIn(props: { onDone: () => void }) {
  const [email, setEmail] = useState("");
  const [password, setPassword] = useState("");
  const [error, setError] = useState<string | null>(null);
  async function submit(e: FormEvent) {
    e.preventDefault();
    setError(null);
    try {
      await signIn(email, password);
      props.onDone();
    } catch (err) {
      setError(err instanceof ApiError && err.status === 401 ? t("signin.failed") : t("error.generic"));
    }
  }
  return (
    <main className="page narrow">
      <h1>{t("signin.title")}</h1>
      <form onSubmit={submit}>
        <Field id="signin-email" label={t("signin.email")}>
          <input id="signin-email" type="email" value={email} onChange={(e) => setEmail(e.target.value)} required autoComplete="username" />
        </Field>
        <Field id="signin-password" label={t("signin.password")}>
          <input id="signin-password" type="password" value={password} onChange={(e) => setPassword(e.target.value)} required autoComplete="current-password" />
        </Field>
        <ErrorText text={error} />
        <button type="submit">{t("signin.submit")}</button>
      </form>
    </main>
  );
}

function Workspace(props: { onSignOut: () => void }) {
  const [open, setOpen] = useState<number | null>(null);
  return (
    <div className="workspace">
      <header className="topbar">
        <strong>{t("app.name")}</strong>
        <button type="button" className="link" onClick={() => void signOut().then(props.onSignOut)}>
          {t("nav.signout")}
        </button>
      </header>
      {open === null ? <TicketList onOpen={setOpen} /> : <TicketPage id={open} onBack={() => setOpen(null)} />}
    </div>
  );
}

function TicketList(props: { onOpen: (id: number) => void }) {
  const [tickets, setTickets] = useState<Ticket[] | null>(null);
  const [subject, setSubject] = useState("");
  const [description, setDescription] = useState("");
  const [error, setError] = useState<string | null>(null);
  const load = () => api<{ tickets: Ticket[] }>("GET", "tickets.json?sort_order=desc&per_page=50").then((r) => setTickets(r.tickets), () => setError(t("error.generic")));
  useEffect(() => {
    void load();
  }, []);
  async function create(e: FormEvent) {
    e.preventDefault();
    setError(null);
    try {
      await api("POST", "tickets.json", { ticket: { subject, comment: { body: description } } });
      setSubject("");
      setDescription("");
      await load();
    } catch (err) {
      setError(err instanceof ApiError ? err.explanation : t("error.generic"));
    }
  }
  return (
    <main className="page">
      <h1>{t("tickets.title")}</h1>
      {tickets === null ? (
        <p>{t("tickets.loading")}</p>
      ) : tickets.length === 0 ? (
        <p>{t("tickets.empty")}</p>
      ) : (
        <ul className="tickets">
          {tickets.map((tk) => (
            <li key={tk.id}>
              <button type="button" className="ticket-row" onClick={() => props.onOpen(tk.id)}>
                <span className="ticket-id">#{tk.id}</span>
                <span className="ticket-subject">{tk.subject}</span>
                <span className={`status status-${tk.status}`}>{tk.status}</span>
              </button>
            </li>
          ))}
        </ul>
      )}
      <h2>{t("tickets.new")}</h2>
      <form onSubmit={create}>
        <Field id="new-subject" label={t("tickets.subject")}>
          <input id="new-subject" value={subject} onChange={(e) => setSubject(e.target.value)} required />
        </Field>
        <Field id="new-description" label={t("tickets.description")}>
          <textarea id="new-description" value={description} onChange={(e) => setDescription(e.target.value)} required rows={4} />
        </Field>
        <ErrorText text={error} />
        <button type="submit">{t("tickets.create")}</button>
      </form>
    </main>
  );
}

function TicketPage(props: { id: number; onBack: () => void }) {
  const [ticket, setTicket] = useState<Ticket | null>(null);
  const [comments, setComments] = useState<Comment[]>([]);
  const [body, setBody] = useState("");
  const [isPublic, setIsPublic] = useState(true);
  const [status, setStatus] = useState("");
  const [error, setError] = useState<string | null>(null);
  const load = async () => {
    const [tk, cs] = await Promise.all([api<{ ticket: Ticket }>("GET", `tickets/${props.id}.json`), api<{ comments: Comment[] }>("GET", `tickets/${props.id}/comments.json`)]);
    setTicket(tk.ticket);
    setStatus(tk.ticket.status);
    setComments(cs.comments);
  };
  useEffect(() => {
    void load().catch(() => setError(t("error.generic")));
  }, [props.id]);
  async function send(e: FormEvent) {
    e.preventDefault();
    setError(null);
    try {
      const change: Record<string, unknown> = {};
      if (body.trim()) change.comment = { body, public: isPublic };
      if (ticket && status !== ticket.status) change.status = status;
      await api("PUT", `tickets/${props.id}.json`, { ticket: change });
      setBody("");
      await load();
    } catch (err) {
      setError(err instanceof ApiError ? err.explanation : t("error.generic"));
    }
  }
  if (!ticket) return <p className="page">{error ?? t("tickets.loading")}</p>;
  return (
    <main className="page">
      <button type="button" className="link" onClick={props.onBack}>
        ← {t("tickets.back")}
      </button>
      <h1>
        #{ticket.id} {ticket.subject}
      </h1>
      <ol className="conversation">
        {comments.map((c) => (
          <li key={c.id} className={c.public ? "comment public" : "comment note"}>
            <p className="comment-kind">{c.public ? t("ticket.reply") : t("ticket.note")}</p>
            <p className="comment-body">{c.body}</p>
          </li>
        ))}
      </ol>
      <form onSubmit={send}>
        <fieldset className="kind">
          <legend className="sr-only">{t("ticket.send")}</legend>
          <label>
            <input type="radio" name="kind" checked={isPublic} onChange={() => setIsPublic(true)} /> {t("ticket.reply")}
          </label>
          <label>
            <input type="radio" name="kind" checked={!isPublic} onChange={() => setIsPublic(false)} /> {t("ticket.note")}
          </label>
        </fieldset>
        <Field id="comment-body" label={isPublic ? t("ticket.replyLabel") : t("ticket.noteLabel")}>
          <textarea id="comment-body" value={body} onChange={(e) => setBody(e.target.value)} rows={4} />
        </Field>
        <Field id="ticket-status" label={t("tickets.status")}>
          <select id="ticket-status" value={status} onChange={(e) => setStatus(e.target.value)}>
            {["new", "open", "pending", "hold", "solved", "closed"].map((s) => (
              <option key={s} value={s}>
                {s}
              </option>
            ))}
          </select>
        </Field>
        <ErrorText text={error} />
        <button type="submit">{t("ticket.send")}</button>
      </form>
    </main>
  );
}
