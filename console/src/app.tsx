/**
 * What every view shares: the signed-in API client, the live event feed (one subscription for the
 * whole page, kept while the user moves between views) and the hash router.
 */
import { type ComponentChildren, createContext } from 'preact';
import { useCallback, useContext, useEffect, useMemo, useRef, useState } from 'preact/hooks';
import type { Api } from './api.ts';
import { followEvents, type LiveEvent, type LiveStatus } from './live.ts';

export const ApiContext = createContext<Api | undefined>(undefined);

export function useApi(): Api {
  const api = useContext(ApiContext);
  if (!api) throw new Error('useApi outside a signed-in console');
  return api;
}

/** How many live events the page keeps (newest last). */
export const LIVE_BUFFER = 2_000;

export interface LiveFeed {
  events: LiveEvent[];
  status: LiveStatus;
  /** Calls back for every event from now on; returns the unsubscribe. */
  subscribe(listener: (event: LiveEvent) => void): () => void;
}

export const LiveContext = createContext<LiveFeed | undefined>(undefined);

export function useLive(): LiveFeed {
  const live = useContext(LiveContext);
  if (!live) throw new Error('useLive outside a signed-in console');
  return live;
}

export function LiveProvider({ api, children }: { api: Api; children: ComponentChildren }) {
  const [events, setEvents] = useState<LiveEvent[]>([]);
  const [status, setStatus] = useState<LiveStatus>('connecting');
  const listeners = useRef(new Set<(event: LiveEvent) => void>());
  useEffect(() => {
    let pending: LiveEvent[] = [];
    let frame = 0;
    // Events arrive in bursts (a stage closing emits several): one render per animation frame.
    const flush = () => {
      frame = 0;
      const batch = pending;
      pending = [];
      // In id (time) order: the first minutes are filled in while new events already arrive.
      setEvents((previous) => {
        const merged = previous.concat(batch);
        const last = previous.at(-1)?.event.metadata.id ?? '';
        if (batch.some((live) => live.event.metadata.id < last))
          merged.sort((a, b) => (a.event.metadata.id < b.event.metadata.id ? -1 : 1));
        return merged.slice(-LIVE_BUFFER);
      });
    };
    const stop = followEvents(api, {
      onEvent: (event) => {
        for (const listener of listeners.current) listener(event);
        pending.push(event);
        if (!frame) frame = requestAnimationFrame(flush);
      },
      onStatus: setStatus,
    });
    return () => {
      stop();
      if (frame) cancelAnimationFrame(frame);
    };
  }, [api]);
  // One function for the page's lifetime, so a view that subscribes once is not unsubscribed (and
  // its pending work dropped) whenever a batch of events renders.
  const subscribe = useCallback((listener: (event: LiveEvent) => void) => {
    listeners.current.add(listener);
    return () => {
      listeners.current.delete(listener);
    };
  }, []);
  const feed = useMemo<LiveFeed>(() => ({ events, status, subscribe }), [events, status, subscribe]);
  return <LiveContext.Provider value={feed}>{children}</LiveContext.Provider>;
}

/**
 * Calls `reload` after live events that `matters` accepts: once a burst has been quiet for
 * `debounceMs`, and at the latest `maxWaitMs` into a steady stream. Subscribed once per `deps`.
 */
export function useLiveReload(
  reload: () => void,
  options: { debounceMs: number; maxWaitMs: number; matters?: (event: LiveEvent) => boolean },
  deps: unknown[] = [],
): void {
  const { subscribe } = useLive();
  const latest = useRef({ reload, matters: options.matters });
  latest.current = { reload, matters: options.matters };
  // `deps`: what else changes the subscription (the caller names it).
  useEffect(() => {
    let timer: ReturnType<typeof setTimeout> | undefined;
    let first = 0;
    const unsubscribe = subscribe((event) => {
      if (latest.current.matters && !latest.current.matters(event)) return;
      const now = Date.now();
      if (timer === undefined) first = now;
      clearTimeout(timer);
      const wait = Math.max(0, Math.min(options.debounceMs, first + options.maxWaitMs - now));
      timer = setTimeout(() => {
        timer = undefined;
        latest.current.reload();
      }, wait);
    });
    return () => {
      unsubscribe();
      clearTimeout(timer);
    };
  }, [subscribe, options.debounceMs, options.maxWaitMs, ...deps]);
}

export interface Route {
  /** The first path segment: board, flow, trace, alerts, failures, metrics, emails. */
  view: string;
  /** The rest, decoded: e.g. a process id. */
  params: string[];
  query: URLSearchParams;
}

export function parseHash(hash: string): Route {
  const [path = '', search = ''] = hash.replace(/^#\/?/, '').split('?');
  const [view = 'board', ...params] = path.split('/').filter(Boolean).map(decodeURIComponent);
  return { view, params, query: new URLSearchParams(search) };
}

export function hrefOf(view: string, params: string[] = [], query?: Record<string, string>): string {
  const search = query ? new URLSearchParams(query).toString() : '';
  return `#/${[view, ...params].map(encodeURIComponent).join('/')}${search ? `?${search}` : ''}`;
}

export function useRoute(): Route {
  const [hash, setHash] = useState(location.hash);
  useEffect(() => {
    const changed = () => setHash(location.hash);
    addEventListener('hashchange', changed);
    return () => removeEventListener('hashchange', changed);
  }, []);
  return useMemo(() => parseHash(hash), [hash]);
}

/** Loads data for a view, with loading and error states, again when `deps` change or on `reload()`. */
export function useLoad<T>(
  load: () => Promise<T>,
  deps: unknown[],
): { data: T | undefined; error: string | undefined; loading: boolean; reload(): void } {
  const [state, setState] = useState<{ data: T | undefined; error: string | undefined; loading: boolean }>({
    data: undefined,
    error: undefined,
    loading: true,
  });
  const [generation, setGeneration] = useState(0);
  // The caller names what the load depends on (`deps`).
  useEffect(() => {
    let current = true;
    setState((previous) => ({ ...previous, loading: true }));
    load().then(
      (data) => current && setState({ data, error: undefined, loading: false }),
      (error: unknown) =>
        current &&
        setState((previous) => ({
          ...previous,
          error: error instanceof Error ? error.message : String(error),
          loading: false,
        })),
    );
    return () => {
      current = false;
    };
  }, [...deps, generation]);
  return { ...state, reload: () => setGeneration((g) => g + 1) };
}
