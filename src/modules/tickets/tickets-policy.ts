import type { Actor } from "../../platform/context.ts";
import type { Role, TicketStatus } from "../../platform/db/schema.ts";
import { nextStatuses } from "./tickets-fns.ts";
import { permissionsOf } from "../../platform/roles.ts";
import { scopeNeed, scopesGrant } from "../../platform/http/scopes.ts";
import { isAdmin, isStaff } from "../users/users-policy.ts";

/**
 * Who may do what to tickets, and which tickets each person may see. Pure and unit-tested; the
 * service calls it and hands `scope` to every query, so a restriction written here reaches show,
 * lists, counts, search, show_many, comments, audits and jobs alike (a ticket outside the scope
 * answers 404, exactly as a missing one).
 */

/** What the ticket write routes (update, comment, delete, redact: all under /tickets) need of a credential's scopes. */
const TICKET_WRITE = scopeNeed("PUT", "/api/v2/tickets/:id");

/** Which tickets an actor may see, as data the repository turns into SQL. */
export type TicketScope =
  | { kind: "all" }
  | { kind: "none" }
  /**
   * A requester's own tickets, once they have a public comment (what the help center shows), and
   * with `organization`, also those of their organization when it shares its tickets (Zendesk's
   * shared organizations); with `ccd`, also those they are copied on (CC'd), while they are.
   */
  | { kind: "requested"; userId: string; organization?: boolean; ccd?: boolean }
  /** An agent's custom role "within groups": tickets of their groups, plus those assigned to them, requested by them or they are CC'd on. */
  | { kind: "groups"; userId: string }
  /** An agent's custom role "assigned only": tickets assigned to them, requested by them or they are CC'd on. */
  | { kind: "assigned"; userId: string };

type UserActor = Extract<Actor, { kind: "user" }>;
export type Decision = { ok: true } | { ok: false; reason: string };
const yes: Decision = { ok: true };
const no = (reason: string): Decision => ({ ok: false, reason });

export const ticketPolicy = {
  /**
   * Staff see the tickets their role's ticket access allows (owners, admins, light agents and the
   * agent preset: all; a custom role: all, within groups, or assigned only); end users their own
   * requests, those they are copied on and, in a shared organization, their organization's.
   */
  scope(actor: UserActor): TicketScope {
    if (isStaff(actor.role)) {
      const access = permissionsOf(actor).ticket_access;
      return access === "all" ? { kind: "all" } : access === "within-groups" ? { kind: "groups", userId: actor.userId } : { kind: "assigned", userId: actor.userId };
    }
    if (actor.role === "end_user") return { kind: "requested", userId: actor.userId, organization: true, ccd: true };
    return { kind: "none" };
  },
  /**
   * What the actor may do with one ticket, sent with it so that pages offer only what the API
   * allows (the web app decides nothing itself). `statuses`: the statuses it may be moved to.
   * A credential whose scopes only read tickets (an API or OAuth token) may change nothing, as
   * every write route under /tickets refuses it.
   */
  abilitiesFor(actor: UserActor, ticket: { status: TicketStatus }) {
    const writes = scopesGrant(actor.scopes, TICKET_WRITE);
    const open = writes && ticket.status !== "closed";
    return {
      can_edit_properties: open && this.editProperties(actor),
      can_reply_publicly: open && this.replyPublicly(actor),
      can_add_internal_notes: open && isStaff(actor.role),
      can_delete: writes && this.delete(actor),
      // Redaction takes data out, so a closed ticket allows it too.
      can_redact: writes && this.redact(actor),
      // Whether the person can be given tickets: their role's, whatever the credential.
      can_be_assigned: this.assignable(actor.role),
      statuses: open && this.editProperties(actor) ? nextStatuses(ticket.status) : [],
    };
  },
  /** Staff work in the workspace: tickets, search, views, jobs; end users use the requests API. */
  useWorkspace(actor: UserActor): boolean {
    return isStaff(actor.role);
  },
  /**
   * Who reads internal notes (and so finds tickets by them, and sees them in search snippets):
   * staff, whatever their role; end users never, even on their own requests.
   */
  readInternalNotes(actor: UserActor): boolean {
    return isStaff(actor.role);
  },
  /**
   * Staff read the ticket field definitions not hidden from their role, end users those visible
   * in the portal (the help center's request form); admins and owners define them.
   */
  viewFields(actor: UserActor): boolean {
    return isStaff(actor.role) || actor.role === "end_user";
  },
  manageFields(actor: UserActor): boolean {
    return isAdmin(actor.role);
  },
  addNotes(actor: UserActor): boolean {
    return isStaff(actor.role);
  },
  /** Creating a ticket sets its properties: the role's ticket editing. */
  create(actor: UserActor): boolean {
    return isStaff(actor.role) && permissionsOf(actor).ticket_editing;
  },
  /** Light agents (and custom roles without ticket editing) add notes only: no property changes. */
  editProperties(actor: UserActor): boolean {
    return isStaff(actor.role) && permissionsOf(actor).ticket_editing;
  },
  replyPublicly(actor: UserActor): boolean {
    return isStaff(actor.role) && permissionsOf(actor).ticket_comment_access === "public";
  },
  /** The sentence a refused property change answers with. */
  editRefusal(actor: UserActor): string {
    return actor.role === "light_agent" ? "Light agents can only add internal notes." : "Your role does not allow changing ticket properties.";
  },
  /** The sentence a refused public reply answers with. */
  publicReplyRefusal(actor: UserActor): string {
    return actor.role === "light_agent" ? "Light agents can only add internal notes." : "Your role allows internal notes only.";
  },
  delete(actor: UserActor): boolean {
    return isStaff(actor.role) && permissionsOf(actor).ticket_deletion;
  },
  /** Redacting text from comments (and files from them: attachmentPolicy.redact) is the role's ticket redaction. */
  redact(actor: UserActor): boolean {
    return isStaff(actor.role) && permissionsOf(actor).ticket_redaction;
  },
  /**
   * Who may write a comment, on every route (API, workspace, help center, jobs):
   *  - end users write public replies in their own name;
   *  - light agents write internal notes only, in their own name;
   *  - agents may write in an end user's name (Zendesk's `comment.author_id`, for replies taken
   *    down on a requester's behalf); admins and owners in anyone's. The comment still records
   *    who actually wrote it.
   */
  writeComment(writer: UserActor, c: { authorId: string; authorRole: Role; public: boolean }): Decision {
    if (writer.role === "end_user" && !c.public) return no("End users write public replies only.");
    if (writer.role !== "end_user" && !isStaff(writer.role)) return no("You cannot write comments.");
    if (c.public && isStaff(writer.role) && !this.replyPublicly(writer)) return no(this.publicReplyRefusal(writer));
    return this.writeAs(writer, { id: c.authorId, role: c.authorRole });
  },
  /**
   * May `writer` put `person`'s name on what they write: a comment's author, a new ticket's
   * submitter. Their own always; an end user's for agents; anyone's for admins and owners.
   */
  writeAs(writer: UserActor, person: { id: string; role: Role }): Decision {
    if (person.id === writer.userId) return yes;
    if (writer.role === "end_user") return no("You can only write in your own name.");
    if (writer.role === "light_agent") return no("Light agents can only write in their own name.");
    if (!isStaff(writer.role)) return no("You cannot write comments.");
    if (isStaff(person.role) && !isAdmin(writer.role)) return no("Only admins can write in another staff member's name.");
    return yes;
  },
  /**
   * May `actor` choose who a ticket's mail reaches: its requester (an existing person, or a new
   * one by address) and its CCs? Everyone who edits ticket properties, except the operator's
   * support user: an address it chose would keep receiving the ticket's notifications after the
   * grant ends. It may still open a ticket in its own name and reply on any.
   */
  chooseRecipients(actor: UserActor): Decision {
    return actor.via === "support" ? no("The support user cannot change who a ticket's mail reaches (its requester or CCs).") : yes;
  },
  /** Tickets can be assigned to agents, admins and the owner, never to light agents or end users. */
  assignable(role: Role): boolean {
    return role === "agent" || role === "admin" || role === "owner";
  },
};

type AttachmentRules = { enabled: boolean; end_users_may_attach: boolean };

/**
 * Who may upload, attach, see and redact files. A file follows its comment: staff see the files of
 * the tickets they see; an end user sees the files of public comments on their own requests; a
 * file not yet attached is its uploader's alone.
 */
export const attachmentPolicy = {
  /** `actor` undefined: nobody signed in (the help center's form), held to end users' rules. */
  upload(actor: UserActor | undefined, s: AttachmentRules): Decision {
    return this.attach(actor?.role ?? "anonymous", s);
  },
  attach(role: Role | "anonymous", s: AttachmentRules): Decision {
    if (!s.enabled) return no("Attachments are turned off in this helpdesk.");
    if ((role === "end_user" || role === "anonymous") && !s.end_users_may_attach) return no("This helpdesk does not accept attachments from customers.");
    return yes;
  },
  view(actor: UserActor, f: { uploaderId: string | null; attached: boolean; ticketVisible: boolean; commentPublic: boolean }): boolean {
    if (!f.attached) return f.uploaderId !== null && f.uploaderId === actor.userId;
    if (!f.ticketVisible) return false;
    return isStaff(actor.role) || f.commentPublic;
  },
  redact(actor: UserActor): boolean {
    return isStaff(actor.role) && permissionsOf(actor).ticket_redaction;
  },
  manageSettings(actor: UserActor): boolean {
    return isAdmin(actor.role);
  },
};
