import { keepPreviousData, QueryClient, QueryClientProvider, useInfiniteQuery, useQuery, useQueryClient, type QueryKey } from "@tanstack/react-query";
import { useCallback, type ReactNode } from "react";
import { explain as explainApi } from "./api.ts";
import { ErrorText } from "./components/Field.tsx";
import { t } from "./i18n/index.ts";

/**
 * The web app's data layer: every page loads what it shows through `useApi`, which runs on
 * TanStack Query (cancellation of superseded requests through an AbortSignal, one request per key
 * at a time, loading and error state, retry) and `<Loadable>`, which renders the loading line, or
 * the error in words with a Retry button, or the page. Writes stay plain `await ok(client.PUT(…))`
 * calls followed by `reload()` or `invalidate(key)`.
 *
 * Defaults chosen for a helpdesk: no automatic retries (the person sees the error and decides;
 * the API's refusals are not transient), no refetch when the window regains focus (an agent's
 * half-typed reply must not jump), and data is fresh for no time at all: coming back to a page
 * shows what was there at once and asks the server again.
 */
export const queryClient = new QueryClient({
  defaultOptions: {
    queries: { retry: false, refetchOnWindowFocus: false, refetchOnReconnect: false, staleTime: 0 },
  },
});

export function DataProvider(props: { children: ReactNode }) {
  return <QueryClientProvider client={queryClient}>{props.children}</QueryClientProvider>;
}

export type ApiState<T> = {
  /** The last answer, kept while a reload runs. */
  data: T | undefined;
  /** What the last attempt threw (an ApiError, usually), or null. */
  error: unknown;
  /** True while a first load or a reload runs. */
  loading: boolean;
  /** Asks again (the Retry button, or after a write). Resolves when the answer is in. */
  reload: () => Promise<void>;
};

export type UseApiOptions<T> = {
  /** Keep the answer this long before asking again on the next mount (ticket fields, pickers). */
  staleTime?: number;
  /** Ask again after so many ms, while this returns a number (a running job). */
  refetchInterval?: (data: T | undefined) => number | false;
  /** Show the previous key's data while the next key loads (paging without a blank page). */
  keepPrevious?: boolean;
};

/**
 * Loads `load(signal)` under `key` (null: nothing to load yet). The key names what is loaded
 * and every value it depends on; a new key supersedes the old request, whose late answer is
 * dropped (its signal aborts the fetch).
 */
export function useApi<T>(key: QueryKey | null, load: (signal: AbortSignal) => Promise<T>, opts: UseApiOptions<T> = {}): ApiState<T> {
  const { refetchInterval } = opts;
  const q = useQuery<T>({
    queryKey: key ?? ["disabled"],
    queryFn: ({ signal }) => load(signal),
    enabled: key !== null,
    staleTime: opts.staleTime ?? 0,
    refetchInterval: refetchInterval ? (query) => refetchInterval(query.state.data) : false,
    placeholderData: opts.keepPrevious ? keepPreviousData : undefined,
  });
  const { refetch } = q;
  const reload = useCallback(async () => {
    await refetch();
  }, [refetch]);
  return { data: q.data, error: q.error, loading: q.isFetching, reload };
}

export type PagesState<P> = ApiState<P[]> & {
  /** Whether the server has another page after the last one loaded. */
  hasMore: boolean;
  /** Loads the next page (a "Show more" button). */
  loadMore: () => Promise<void>;
  loadingMore: boolean;
};

/**
 * Loads a cursor-paged list page by page under `key`: `load(cursor, signal)` fetches the page
 * after `cursor` (null: the first), `next(page)` names the cursor after it, or null at the end.
 * A reload asks again for every page already shown.
 */
export function useApiPages<P>(key: QueryKey, load: (cursor: string | null, signal: AbortSignal) => Promise<P>, next: (page: P) => string | null): PagesState<P> {
  const q = useInfiniteQuery({
    queryKey: key,
    queryFn: ({ pageParam, signal }) => load(pageParam, signal),
    initialPageParam: null as string | null,
    getNextPageParam: (last) => next(last),
  });
  const { refetch, fetchNextPage } = q;
  const reload = useCallback(async () => {
    await refetch();
  }, [refetch]);
  const loadMore = useCallback(async () => {
    await fetchNextPage();
  }, [fetchNextPage]);
  return { data: q.data?.pages, error: q.error, loading: q.isFetching, reload, hasMore: q.hasNextPage, loadMore, loadingMore: q.isFetchingNextPage };
}

/**
 * Marks everything under `prefix` stale and reloads what is on screen (view counts after a save).
 * A load under way is given up first: it may have been answered before the write being followed,
 * and React Query joins a first load in flight rather than start another (a ticket's History,
 * still loading when the agent saved quickly, stayed without the note).
 */
export function useInvalidate(): (prefix: QueryKey) => Promise<void> {
  const client = useQueryClient();
  return useCallback(
    async (prefix: QueryKey) => {
      await client.cancelQueries({ queryKey: prefix });
      await client.invalidateQueries({ queryKey: prefix });
    },
    [client],
  );
}

/** Changes what is cached under `key` (a save that answered the new state) without asking again. */
export function useSetData(): <T>(key: QueryKey, data: T) => void {
  const client = useQueryClient();
  return useCallback(<T,>(key: QueryKey, data: T) => void client.setQueryData(key, data), [client]);
}

/**
 * The error of a load in words, with a Retry button. `explain` turns the error into a sentence
 * (the help center passes its own, in the visitor's language).
 */
export function LoadError(props: { error: unknown; retry: () => void; explain?: (err: unknown) => string; busy?: boolean }) {
  const text = (props.explain ?? explainApi)(props.error);
  return (
    <div className="load-error">
      <ErrorText text={text} />
      <button type="button" className="secondary" onClick={props.retry} disabled={props.busy}>
        {t("app.retry")}
      </button>
    </div>
  );
}

/**
 * What a load shows: the loading line while nothing has arrived, the error with Retry when it
 * failed, else `children(data)`. A failed reload keeps the page and puts the error above it.
 */
export function Loadable<T>(props: { state: ApiState<T>; children: (data: T) => ReactNode; loadingText?: string; explain?: (err: unknown) => string }) {
  const { state } = props;
  const error = state.error ? <LoadError error={state.error} retry={() => void state.reload()} busy={state.loading} {...(props.explain ? { explain: props.explain } : {})} /> : null;
  if (state.data === undefined) {
    return error ?? (
      <p role="status" className="loading">
        {props.loadingText ?? t("app.loading")}
      </p>
    );
  }
  return (
    <>
      {error}
      {props.children(state.data)}
    </>
  );
}
