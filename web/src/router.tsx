import { useEffect, useRef, useState, useSyncExternalStore, type AnchorHTMLAttributes, type MouseEvent, type ReactNode } from "react";

/**
 * A small client-side router over the History API. The server answers index.html for `/`,
 * `/setup` and `/agent/*`, so every URL here can be reloaded or opened in a new tab.
 */

const listeners = new Set<() => void>();
let navigated = false;

function subscribe(fn: () => void): () => void {
  listeners.add(fn);
  window.addEventListener("popstate", fn);
  return () => {
    listeners.delete(fn);
    window.removeEventListener("popstate", fn);
  };
}

const snapshot = () => window.location.pathname + window.location.search;

/**
 * Pages with unsaved work hold a guard: while it blocks, an in-app navigation (a link, the
 * browser's back button) does not happen; the page is told where the person wanted to go and
 * asks them (useLeaveGuard).
 */
type Guard = { blocks: () => boolean; onBlocked: (to: string) => void };
const guards = new Set<Guard>();
let shown = typeof window === "undefined" ? "/" : snapshot();

function blockedBy(to: string): Guard | undefined {
  const guard = [...guards].find((g) => g.blocks());
  guard?.onBlocked(to);
  return guard;
}

if (typeof window !== "undefined") {
  // Registered before any page subscribes, so it runs first: a blocked back button puts the
  // address back before the pages read it.
  window.addEventListener("popstate", () => {
    const to = snapshot();
    if (to !== shown && blockedBy(to)) window.history.pushState(null, "", shown);
    else shown = to;
  });
}

/** Goes to `to` inside the app; `force` skips the unsaved-work guards (the person chose to leave). */
export function navigate(to: string, opts: { replace?: boolean; force?: boolean } = {}): void {
  if (!opts.force && blockedBy(to)) return;
  navigated = true;
  if (opts.replace) window.history.replaceState(null, "", to);
  else window.history.pushState(null, "", to);
  shown = snapshot();
  window.scrollTo(0, 0);
  for (const fn of listeners) fn();
}

/** Re-renders on every navigation; returns the pathname and the query string's parameters. */
export function useLocation(): { path: string; query: URLSearchParams } {
  const loc = useSyncExternalStore(subscribe, snapshot);
  const [path, search = ""] = loc.split("?", 2) as [string, string?];
  return { path: path.replace(/\/+$/, "") || "/", query: new URLSearchParams(search) };
}

export function Link(props: { to: string; children: ReactNode } & Omit<AnchorHTMLAttributes<HTMLAnchorElement>, "href">) {
  const { to, children, onClick, ...rest } = props;
  function go(e: MouseEvent<HTMLAnchorElement>) {
    onClick?.(e);
    if (e.defaultPrevented || e.button !== 0 || e.metaKey || e.ctrlKey || e.shiftKey || e.altKey) return;
    e.preventDefault();
    navigate(to);
  }
  return (
    <a href={to} onClick={go} {...rest}>
      {children}
    </a>
  );
}

/**
 * The page's main heading. It names the document and, after an in-app navigation, takes the
 * focus, so keyboard and screen-reader users start at the top of the new page.
 */
export function PageHeading(props: { children: string }) {
  const ref = useRef<HTMLHeadingElement>(null);
  useEffect(() => {
    document.title = `${props.children} · Vaultdesk`;
    if (navigated) ref.current?.focus();
  }, [props.children]);
  return (
    <h1 ref={ref} tabIndex={-1}>
      {props.children}
    </h1>
  );
}

/**
 * While `dirty`, keeps the person from losing unsaved work: in-app navigation is held and
 * `leavingTo` names where they wanted to go (the page asks, then calls `leave` or `stay`), and
 * closing or reloading the tab makes the browser ask.
 */
export function useLeaveGuard(dirty: boolean): { leavingTo: string | null; stay: () => void; leave: () => void } {
  const [leavingTo, setLeavingTo] = useState<string | null>(null);
  const dirtyRef = useRef(dirty);
  dirtyRef.current = dirty;
  useEffect(() => {
    const guard: Guard = { blocks: () => dirtyRef.current, onBlocked: setLeavingTo };
    guards.add(guard);
    return () => void guards.delete(guard);
  }, []);
  useEffect(() => {
    if (!dirty) return;
    const warn = (e: BeforeUnloadEvent) => e.preventDefault();
    window.addEventListener("beforeunload", warn);
    return () => window.removeEventListener("beforeunload", warn);
  }, [dirty]);
  return {
    leavingTo: dirty ? leavingTo : null,
    stay: () => setLeavingTo(null),
    leave: () => {
      const to = leavingTo;
      setLeavingTo(null);
      if (to) navigate(to, { force: true });
    },
  };
}
