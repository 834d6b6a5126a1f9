/**
 * The causal trace of one process (`#/trace/<processId>`): GET /ops/processes/{processId}/trace as a
 * timeline and as a tree (outside cause -> event -> the function that handled it -> the events it
 * emitted), with the failure messages of GET /ops/failures that concern the process marked on it.
 * Reloads (debounced) when an event of the process arrives on the live feed.
 */
import { useMemo, useState } from 'preact/hooks';
import { hrefOf, useApi, useLive, useLiveReload, useLoad, useRoute } from '../app.tsx';
import { defineMessages, type Translate, useMessages } from '../i18n.ts';
import type { FailureMessage, Failures, Trace, TraceNode } from '../types.ts';
import './trace.css';

const messages = defineMessages({
  en: {
    title: 'Trace of process {processId}',
    pickTitle: 'Trace a process',
    pickIntro:
      'The causal trace of a process: every event, the function that handled it and what it emitted.',
    processId: 'Process id',
    show: 'Show trace',
    recent: 'Processes in the live feed',
    loading: 'Loading the trace…',
    reload: 'Reload',
    followLive: 'Follow in the live flow',
    otherProcess: 'Another process',
    failuresUnavailable: 'The failures could not be read: {error}',
    summary: 'Summary',
    events: 'Events',
    first: 'First event',
    last: 'Last event',
    duration: 'Total duration',
    failures: 'Failures',
    openFailures: 'Open failures',
    failuresTitle: 'Failures of this process',
    failedOn: '{function} failed on {type}',
    failedFunction: '{function} failed',
    unknownEvent: 'an event',
    attempts: 'attempts: {count}',
    failedMark: '✕ failed',
    graph: 'Causal graph',
    graphIntro:
      'Each event, the functions that reacted to it and the events they emitted, with the time between.',
    timeline: 'Timeline',
    timelineCaption: 'Every event of the process in order',
    index: '#',
    time: 'Time',
    type: 'Type',
    actor: 'Actor',
    depth: 'Depth',
    sinceCause: 'Since its cause',
    handledBy: 'Handled by',
    status: 'Status',
    outside: 'outside',
    user: 'user',
    system: 'system',
    cause: 'Caused outside the timeline by {actor}',
    causeId: 'cause {id}',
    collapse: 'Collapse {type}',
    expand: 'Expand {type}',
    function: 'function',
    emitted: 'emitted {count}',
    noEvents: 'This process has no events yet.',
  },
  sv: {
    title: 'Spårning av processen {processId}',
    pickTitle: 'Spåra en process',
    pickIntro:
      'En process orsakskedja: varje händelse, funktionen som hanterade den och vad den i sin tur skickade.',
    processId: 'Process-id',
    show: 'Visa spårningen',
    recent: 'Processer i händelseflödet',
    loading: 'Läser spårningen…',
    reload: 'Läs om',
    followLive: 'Följ i händelseflödet',
    otherProcess: 'En annan process',
    failuresUnavailable: 'Felen kunde inte läsas: {error}',
    summary: 'Sammanfattning',
    events: 'Händelser',
    first: 'Första händelsen',
    last: 'Senaste händelsen',
    duration: 'Total tid',
    failures: 'Fel',
    openFailures: 'Öppna felen',
    failuresTitle: 'Processens fel',
    failedOn: '{function} misslyckades med {type}',
    failedFunction: '{function} misslyckades',
    unknownEvent: 'en händelse',
    attempts: 'försök: {count}',
    failedMark: '✕ misslyckades',
    graph: 'Orsaksgraf',
    graphIntro:
      'Varje händelse, funktionerna som reagerade på den och händelserna de skickade, med tiden emellan.',
    timeline: 'Tidslinje',
    timelineCaption: 'Processens alla händelser i ordning',
    index: 'Nr',
    time: 'Tid',
    type: 'Typ',
    actor: 'Aktör',
    depth: 'Djup',
    sinceCause: 'Sedan orsaken',
    handledBy: 'Hanterad av',
    status: 'Status',
    outside: 'utifrån',
    user: 'användare',
    system: 'system',
    cause: 'Orsakad utanför tidslinjen av {actor}',
    causeId: 'orsak {id}',
    collapse: 'Fäll ihop {type}',
    expand: 'Fäll ut {type}',
    function: 'funktion',
    emitted: 'skickade {count}',
    noEvents: 'Processen har inga händelser ännu.',
  },
  fi: {
    title: 'Prosessin {processId} jäljitys',
    pickTitle: 'Jäljitä prosessi',
    pickIntro:
      'Prosessin syy-yhteydet: jokainen tapahtuma, sen käsitellyt funktio ja mitä se puolestaan lähetti.',
    processId: 'Prosessin tunnus',
    show: 'Näytä jäljitys',
    recent: 'Tapahtumavirran prosessit',
    loading: 'Luetaan jäljitystä…',
    reload: 'Lataa uudelleen',
    followLive: 'Seuraa tapahtumavirrassa',
    otherProcess: 'Toinen prosessi',
    failuresUnavailable: 'Virheitä ei voitu lukea: {error}',
    summary: 'Yhteenveto',
    events: 'Tapahtumat',
    first: 'Ensimmäinen tapahtuma',
    last: 'Viimeisin tapahtuma',
    duration: 'Kesto yhteensä',
    failures: 'Virheet',
    openFailures: 'Avaa virheet',
    failuresTitle: 'Prosessin virheet',
    failedOn: '{function} epäonnistui: {type}',
    failedFunction: '{function} epäonnistui',
    unknownEvent: 'tapahtuma',
    attempts: 'yrityksiä: {count}',
    failedMark: '✕ epäonnistui',
    graph: 'Syy-yhteyskaavio',
    graphIntro:
      'Jokainen tapahtuma, siihen reagoineet funktiot ja niiden lähettämät tapahtumat sekä välissä kulunut aika.',
    timeline: 'Aikajana',
    timelineCaption: 'Prosessin kaikki tapahtumat järjestyksessä',
    index: 'Nro',
    time: 'Aika',
    type: 'Tyyppi',
    actor: 'Toimija',
    depth: 'Syvyys',
    sinceCause: 'Syystä kulunut',
    handledBy: 'Käsittelijät',
    status: 'Tila',
    outside: 'ulkoa',
    user: 'käyttäjä',
    system: 'järjestelmä',
    cause: 'Aikajanan ulkopuolinen syy: {actor}',
    causeId: 'syy {id}',
    collapse: 'Pienennä {type}',
    expand: 'Laajenna {type}',
    function: 'funktio',
    emitted: 'lähetti {count}',
    noEvents: 'Prosessilla ei ole vielä tapahtumia.',
  },
});

type T = Translate<keyof (typeof messages)['en']>;

/** Quiet time after the last live event of the process before the trace is read again. */
const RELOAD_DEBOUNCE_MS = 300;
/** A steady stream of events still reloads this often. */
const RELOAD_MAX_WAIT_MS = 2_000;

export function TraceView() {
  const route = useRoute();
  const processId = route.params[0];
  return processId ? <ProcessTrace key={processId} processId={processId} /> : <PickProcess />;
}

function PickProcess() {
  const t = useMessages(messages);
  const live = useLive();
  const [value, setValue] = useState('');
  const recent = useMemo(() => {
    const seen: string[] = [];
    for (let i = live.events.length - 1; i >= 0 && seen.length < 10; i--) {
      const id = live.events[i]?.event.metadata.processId;
      if (id && !seen.includes(id)) seen.push(id);
    }
    return seen;
  }, [live.events]);
  return (
    <section class="trace" aria-labelledby="trace-title">
      <h1 id="trace-title">{t('pickTitle')}</h1>
      <p class="muted">{t('pickIntro')}</p>
      <form
        class="toolbar trace-pick"
        onSubmit={(event) => {
          event.preventDefault();
          const id = value.trim();
          if (id) location.hash = hrefOf('trace', [id]);
        }}
      >
        <label>
          <span>{t('processId')}</span>
          <input
            name="processId"
            required
            value={value}
            autocomplete="off"
            spellcheck={false}
            onInput={(event) => setValue(event.currentTarget.value)}
          />
        </label>
        <button type="submit">{t('show')}</button>
      </form>
      {recent.length > 0 && (
        <>
          <h2>{t('recent')}</h2>
          <ul class="trace-recent">
            {recent.map((id) => (
              <li key={id}>
                <a href={hrefOf('trace', [id])}>{id}</a>
              </li>
            ))}
          </ul>
        </>
      )}
    </section>
  );
}

/** The failure messages about this process: their event is one of its events, or of the process. */
export function failuresOf(trace: Trace, failures: Failures | undefined): FailureMessage[] {
  if (!failures) return [];
  const ids = new Set(trace.nodes.map((node) => node.id));
  const seen = new Set<string>();
  const found: FailureMessage[] = [];
  for (const queue of failures.queues)
    for (const message of queue.messages) {
      const ours =
        (message.event.id !== null && ids.has(message.event.id)) ||
        message.event.processId === trace.processId;
      if (!ours || seen.has(message.messageId)) continue;
      seen.add(message.messageId);
      found.push(message);
    }
  return found;
}

function ProcessTrace({ processId }: { processId: string }) {
  const t = useMessages(messages);
  const api = useApi();
  const trace = useLoad(
    () => api.get<Trace>(`/ops/processes/${encodeURIComponent(processId)}/trace`),
    [api, processId],
  );
  const failures = useLoad(() => api.get<Failures>('/ops/failures'), [api, processId]);

  const reload = () => {
    trace.reload();
    failures.reload();
  };
  useLiveReload(
    reload,
    {
      debounceMs: RELOAD_DEBOUNCE_MS,
      maxWaitMs: RELOAD_MAX_WAIT_MS,
      matters: (event) => event.event.metadata.processId === processId,
    },
    [processId],
  );

  const data = trace.data;
  const failed = useMemo(() => (data ? failuresOf(data, failures.data) : []), [data, failures.data]);

  return (
    <section class="trace" aria-labelledby="trace-title" aria-busy={trace.loading}>
      <div class="trace-heading">
        <h1 id="trace-title">{t('title', { processId })}</h1>
        <div class="trace-links">
          <a href={hrefOf('flow', [], { processId })}>{t('followLive')}</a>
          <a href={hrefOf('trace')}>{t('otherProcess')}</a>
          <button type="button" class="secondary" onClick={reload} disabled={trace.loading}>
            {t('reload')}
          </button>
        </div>
      </div>
      {trace.error && (
        <p role="alert" class="error card">
          {trace.error}
        </p>
      )}
      {failures.error && <p class="muted">{t('failuresUnavailable', { error: failures.error })}</p>}
      {!data ? (
        trace.loading && <p class="loading muted">{t('loading')}</p>
      ) : (
        <TraceBody t={t} trace={data} failed={failed} />
      )}
    </section>
  );
}

/** "12 ms", "3.4 s", "2 min 5 s". */
function formatMs(t: T, ms: number): string {
  if (Math.abs(ms) < 1_000) return `${t.number(Math.round(ms))} ms`;
  if (Math.abs(ms) < 60_000) return `${t.number(ms / 1_000, { maximumFractionDigits: 1 })} s`;
  return t.duration(ms / 1_000);
}

/** The time of day with milliseconds: the events of a trace are often milliseconds apart. */
function preciseTime(t: T, iso: string): string {
  const ms = new Date(iso).getMilliseconds();
  return `${t.time(iso)}.${String(ms).padStart(3, '0')}`;
}

function actorText(t: T, actor: TraceNode['actor']): string {
  return `${t(actor.kind)} ${actor.id}`;
}

/** By occurredAt, then id: the API lists events in id order, which can differ from when they occurred. */
export function byTime(a: TraceNode, b: TraceNode): number {
  return a.occurredAt.localeCompare(b.occurredAt) || a.id.localeCompare(b.id);
}

interface Handler {
  key: string;
  actor: TraceNode['actor'];
  children: TraceNode[];
  failures: FailureMessage[];
}

interface Graph {
  byId: Map<string, TraceNode>;
  duration: Map<string, number>;
  /** The functions (or users) that reacted to an event, with what they emitted and how they failed. */
  handlers: Map<string, Handler[]>;
  failuresOf: Map<string, FailureMessage[]>;
  roots: { id: string; actor: TraceNode['actor']; events: TraceNode[] }[];
}

function graphOf(trace: Trace, failed: FailureMessage[]): Graph {
  const byId = new Map(trace.nodes.map((node) => [node.id, node]));
  const duration = new Map(trace.edges.map((edge) => [edge.to, edge.durationMs]));
  const failuresOf = new Map<string, FailureMessage[]>();
  for (const message of failed)
    if (message.event.id && byId.has(message.event.id))
      failuresOf.set(message.event.id, [...(failuresOf.get(message.event.id) ?? []), message]);
  const handlers = new Map<string, Handler[]>();
  const handlerOf = (eventId: string, actor: TraceNode['actor']) => {
    const list = handlers.get(eventId) ?? [];
    handlers.set(eventId, list);
    const key = `${actor.kind}:${actor.id}`;
    let handler = list.find((h) => h.key === key);
    if (!handler) {
      handler = { key, actor, children: [], failures: [] };
      list.push(handler);
    }
    return handler;
  };
  const edgeTargets = new Set<string>();
  for (const edge of trace.edges) {
    const child = byId.get(edge.to);
    if (!child || !byId.has(edge.from) || edgeTargets.has(edge.to)) continue;
    edgeTargets.add(edge.to);
    handlerOf(edge.from, child.actor).children.push(child);
  }
  for (const [eventId, list] of failuresOf)
    for (const message of list)
      handlerOf(eventId, { kind: 'system', id: message.function }).failures.push(message);
  const roots = trace.causes.map((cause) => ({
    id: cause.id,
    actor: cause.actor,
    events: cause.events
      .map((id) => byId.get(id))
      .filter((node): node is TraceNode => node !== undefined)
      .sort(byTime),
  }));
  // An event no cause nor edge reaches (the API answers none such; kept visible all the same).
  const reached = new Set([...edgeTargets, ...roots.flatMap((root) => root.events.map((node) => node.id))]);
  const strays = trace.nodes.filter((node) => !reached.has(node.id));
  if (strays.length > 0) {
    const first = strays[0] as TraceNode;
    roots.push({ id: first.causationId, actor: first.actor, events: strays });
  }
  for (const list of handlers.values()) for (const handler of list) handler.children.sort(byTime);
  roots.sort((a, b) => (a.events[0] && b.events[0] ? byTime(a.events[0], b.events[0]) : 0));
  return { byId, duration, handlers, failuresOf, roots };
}

function TraceBody({ t, trace: loaded, failed }: { t: T; trace: Trace; failed: FailureMessage[] }) {
  const trace = useMemo(() => ({ ...loaded, nodes: [...loaded.nodes].sort(byTime) }), [loaded]);
  const graph = useMemo(() => graphOf(trace, failed), [trace, failed]);
  const [collapsed, setCollapsed] = useState<ReadonlySet<string>>(new Set());
  const first = trace.nodes[0];
  const last = trace.nodes.at(-1);
  const totalMs = first && last ? Date.parse(last.occurredAt) - Date.parse(first.occurredAt) : 0;
  const toggle = (id: string) =>
    setCollapsed((previous) => {
      const next = new Set(previous);
      if (!next.delete(id)) next.add(id);
      return next;
    });

  return (
    <>
      <h2 class="visually-hidden">{t('summary')}</h2>
      <div class="summary trace-summary">
        <div class="card" data-summary="events">
          <div class="muted">{t('events')}</div>
          <div class="value">{t.number(trace.nodes.length)}</div>
        </div>
        <div class="card" data-summary="first">
          <div class="muted">{t('first')}</div>
          <div class="value small">{first ? t.dateTime(first.occurredAt) : '—'}</div>
        </div>
        <div class="card" data-summary="last">
          <div class="muted">{t('last')}</div>
          <div class="value small">{last ? t.dateTime(last.occurredAt) : '—'}</div>
        </div>
        <div class="card" data-summary="duration">
          <div class="muted">{t('duration')}</div>
          <div class="value">{formatMs(t, totalMs)}</div>
        </div>
        <div class={failed.length > 0 ? 'card failed' : 'card'} data-summary="failures">
          <div class={failed.length > 0 ? 'error' : 'muted'}>{t('failures')}</div>
          <div class={failed.length > 0 ? 'value error' : 'value'}>
            {failed.length > 0 && '✕ '}
            {t.number(failed.length)}
          </div>
          {failed.length > 0 && <a href={hrefOf('failures')}>{t('openFailures')}</a>}
        </div>
      </div>

      {failed.length > 0 && (
        <section class="card trace-failures" aria-labelledby="trace-failures-title">
          <h2 id="trace-failures-title" class="error">
            {t('failuresTitle')}
          </h2>
          <ul>
            {failed.map((message) => (
              <li key={message.messageId} data-failure-function={message.function}>
                <strong class="error">
                  ✕{' '}
                  {t('failedOn', {
                    function: message.function,
                    type: message.event.type ?? t('unknownEvent'),
                  })}
                </strong>
                : {message.error.type}: {message.error.message}{' '}
                <span class="muted">
                  ({t.dateTime(message.sentAt)}, {t('attempts', { count: message.attempts })})
                </span>
              </li>
            ))}
          </ul>
          <a href={hrefOf('failures')}>{t('openFailures')}</a>
        </section>
      )}

      {trace.nodes.length === 0 ? (
        <p class="card muted">{t('noEvents')}</p>
      ) : (
        <>
          <h2 id="trace-graph-title">{t('graph')}</h2>
          <p class="muted">{t('graphIntro')}</p>
          <div class="card trace-graph">
            <ul class="trace-tree" aria-labelledby="trace-graph-title">
              {graph.roots.map((root) => (
                <li key={root.id} class="trace-cause">
                  <div class="trace-node cause" data-trace-cause={root.id}>
                    <span class="trace-icon" aria-hidden="true">
                      ⇢
                    </span>
                    <span>{t('cause', { actor: actorText(t, root.actor) })}</span>
                    <span class="trace-mono muted">{t('causeId', { id: root.id })}</span>
                  </div>
                  <ul>
                    {root.events.map((node) => (
                      <EventNode
                        key={node.id}
                        t={t}
                        node={node}
                        graph={graph}
                        collapsed={collapsed}
                        onToggle={toggle}
                        path={new Set()}
                      />
                    ))}
                  </ul>
                </li>
              ))}
            </ul>
          </div>

          <h2>{t('timeline')}</h2>
          <Timeline t={t} trace={trace} graph={graph} />
        </>
      )}
    </>
  );
}

function EventNode(props: {
  t: T;
  node: TraceNode;
  graph: Graph;
  collapsed: ReadonlySet<string>;
  onToggle(id: string): void;
  /** The events above: a cycle (a corrupt causationId) stops here. */
  path: ReadonlySet<string>;
}) {
  const { t, node, graph } = props;
  const failures = graph.failuresOf.get(node.id) ?? [];
  const handlers = props.path.has(node.id) ? [] : (graph.handlers.get(node.id) ?? []);
  const open = !props.collapsed.has(node.id);
  const duration = graph.duration.get(node.id);
  const path = new Set(props.path).add(node.id);
  const isFailed = failures.length > 0;
  return (
    <li class={isFailed ? 'trace-event failed' : 'trace-event'}>
      <div
        class={isFailed ? 'trace-node event failed' : 'trace-node event'}
        data-trace-event={node.id}
        data-event-type={node.type}
        data-failed={isFailed ? 'true' : undefined}
      >
        {handlers.length > 0 ? (
          <button
            type="button"
            class="trace-toggle"
            aria-expanded={open}
            aria-label={t(open ? 'collapse' : 'expand', { type: node.type })}
            onClick={() => props.onToggle(node.id)}
          >
            <span aria-hidden="true">{open ? '▾' : '▸'}</span>
          </button>
        ) : (
          <span class="trace-toggle-space" aria-hidden="true" />
        )}
        <span class="trace-type">{node.type}</span>
        <time class="trace-time" dateTime={node.occurredAt} title={t.dateTime(node.occurredAt)}>
          {preciseTime(t, node.occurredAt)}
        </time>
        {duration !== undefined && (
          <span class="trace-edge" title={t('sinceCause')}>
            +{formatMs(t, duration)}
          </span>
        )}
        {isFailed && <span class="badge error">{t('failedMark')}</span>}
      </div>
      {open && handlers.length > 0 && (
        <ul>
          {handlers.map((handler) => (
            <HandlerNode key={handler.key} {...props} handler={handler} path={path} />
          ))}
        </ul>
      )}
    </li>
  );
}

function HandlerNode(props: {
  t: T;
  handler: Handler;
  graph: Graph;
  collapsed: ReadonlySet<string>;
  onToggle(id: string): void;
  path: ReadonlySet<string>;
}) {
  const { t, handler, graph } = props;
  const durations = handler.children
    .map((child) => graph.duration.get(child.id))
    .filter((ms): ms is number => ms !== undefined);
  const min = Math.min(...durations);
  const max = Math.max(...durations);
  const isFailed = handler.failures.length > 0;
  return (
    <li class={isFailed ? 'trace-fn failed' : 'trace-fn'}>
      <div
        class={isFailed ? 'trace-node fn failed' : 'trace-node fn'}
        data-trace-function={handler.actor.id}
        data-failed={isFailed ? 'true' : undefined}
      >
        <span class="trace-icon" aria-hidden="true">
          {handler.actor.kind === 'system' ? 'ƒ' : '👤'}
        </span>
        <span class="visually-hidden">{t(handler.actor.kind === 'system' ? 'function' : 'user')}</span>
        <span class="trace-fn-name">{handler.actor.id}</span>
        {durations.length > 0 && (
          <span class="trace-edge" title={t('sinceCause')}>
            {min === max ? formatMs(t, min) : `${formatMs(t, min)} – ${formatMs(t, max)}`}
          </span>
        )}
        {handler.children.length > 0 && (
          <span class="muted trace-emitted">{t('emitted', { count: handler.children.length })}</span>
        )}
        {isFailed && <span class="badge error">{t('failedMark')}</span>}
      </div>
      {handler.failures.map((message) => (
        <p key={message.messageId} class="trace-error error">
          ✕ {t('failedFunction', { function: message.function })}: {message.error.type}:{' '}
          {message.error.message} <a href={hrefOf('failures')}>{t('openFailures')}</a>
        </p>
      ))}
      {handler.children.length > 0 && (
        <ul>
          {handler.children.map((child) => (
            <EventNode
              key={child.id}
              t={t}
              node={child}
              graph={graph}
              collapsed={props.collapsed}
              onToggle={props.onToggle}
              path={props.path}
            />
          ))}
        </ul>
      )}
    </li>
  );
}

function Timeline({ t, trace, graph }: { t: T; trace: Trace; graph: Graph }) {
  return (
    <table class="data trace-timeline">
      <caption class="visually-hidden">{t('timelineCaption')}</caption>
      <thead>
        <tr>
          <th scope="col" class="number">
            {t('index')}
          </th>
          <th scope="col">{t('time')}</th>
          <th scope="col">{t('type')}</th>
          <th scope="col">{t('actor')}</th>
          <th scope="col" class="number">
            {t('depth')}
          </th>
          <th scope="col" class="number">
            {t('sinceCause')}
          </th>
          <th scope="col">{t('handledBy')}</th>
          <th scope="col">{t('status')}</th>
        </tr>
      </thead>
      <tbody>
        {trace.nodes.map((node, index) => {
          const failures = graph.failuresOf.get(node.id) ?? [];
          const duration = graph.duration.get(node.id);
          return (
            <tr
              key={node.id}
              class={failures.length > 0 ? 'failed' : undefined}
              data-timeline-event={node.id}
              data-event-type={node.type}
              data-failed={failures.length > 0 ? 'true' : undefined}
            >
              <td class="number muted">{index + 1}</td>
              <td class="trace-time">
                <time dateTime={node.occurredAt} title={t.dateTime(node.occurredAt)}>
                  {preciseTime(t, node.occurredAt)}
                </time>
              </td>
              <td class="trace-type">{node.type}</td>
              <td class="trace-mono">{actorText(t, node.actor)}</td>
              <td class="number">{node.depth}</td>
              <td class="number">
                {duration !== undefined ? formatMs(t, duration) : <span class="muted">{t('outside')}</span>}
              </td>
              <td class="trace-mono">{node.handledBy.join(', ')}</td>
              <td>
                {failures.map((message) => (
                  <span key={message.messageId} class="badge error" title={message.error.message}>
                    {t('failedMark')}: {message.function}
                  </span>
                ))}
              </td>
            </tr>
          );
        })}
      </tbody>
    </table>
  );
}
