/**
 * Hooks: a module announces what it did (a user created, a conversation written) and other
 * modules act on it in the same transaction, without the first importing the second (search
 * indexing and notifications attach to the conversation writer this way). One registry per app,
 * carried by every request context, so two apps in one process never run each other's hooks.
 *
 * Events are declared where they are emitted, by merging into HookEvents:
 *   declare module "../../platform/hooks.ts" { interface HookEvents { "user.created": UserCreated } }
 */
// Declaration merging target: modules add their events.
// eslint-disable-next-line @typescript-eslint/no-empty-object-type
export interface HookEvents {}

type Listener<C, T> = (ctx: C, event: T) => Promise<void> | void;

/** `C`: the context listeners receive (the request context; a type parameter so this file imports nothing). */
export class Hooks<C> {
  readonly #listeners = new Map<string, Set<Listener<C, never>>>();

  /** Runs `fn` for each event of that name, inside the transaction that emitted it. Returns a function that removes it. */
  on<K extends keyof HookEvents & string>(name: K, fn: Listener<C, HookEvents[K]>): () => void {
    let set = this.#listeners.get(name);
    if (!set) this.#listeners.set(name, (set = new Set()));
    set.add(fn as Listener<C, never>);
    return () => set.delete(fn as Listener<C, never>);
  }

  async emit<K extends keyof HookEvents & string>(name: K, ctx: C, event: HookEvents[K]): Promise<void> {
    for (const fn of this.#listeners.get(name) ?? []) await (fn as Listener<C, HookEvents[K]>)(ctx, event);
  }
}
