import { useEffect, useRef, useSyncExternalStore, type AnchorHTMLAttributes, type MouseEvent, type ReactNode } from "react";

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

export function navigate(to: string, opts: { replace?: boolean } = {}): void {
  navigated = true;
  if (opts.replace) window.history.replaceState(null, "", to);
  else window.history.pushState(null, "", to);
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
