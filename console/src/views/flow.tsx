/**
 * The live event flow: the organisation's events as they happen (the page's one live feed), newest
 * first, filtered by type, place and process. `#/flow?processId=…` follows one process. The list
 * shows at most MAX_ROWS rows however many events the feed keeps, and freezes while paused.
 */
import { useEffect, useMemo, useState } from 'preact/hooks';
import { hrefOf, useLive, useRoute } from '../app.tsx';
import { defineMessages, type Translate, useMessages } from '../i18n.ts';
import type { LiveEvent } from '../live.ts';
import './flow.css';

/** The most rows the table renders (the feed keeps up to 2,000 events). */
export const MAX_ROWS = 200;

const messages = defineMessages({
  en: {
    title: 'Live event flow',
    intro:
      'Events of the organisation as they happen, newest first, from five minutes before this page was opened.',
    following: 'Following process {processId}',
    openTrace: 'Open the trace',
    stopFollowing: 'Stop following',
    type: 'Type',
    allTypes: 'All types',
    place: 'Place',
    process: 'Process',
    anyId: 'id, or part of one',
    clearFilters: 'Clear filters',
    pause: 'Pause',
    resume: 'Resume',
    paused: 'Paused',
    waiting: 'New events waiting: {count}',
    waitingFiltered: 'New events waiting: {count} ({matching} match the filters)',
    showingNewest: 'Showing the newest {shown} of {total} events',
    showingAll: 'Events: {total}',
    caption: 'Live events, newest first',
    time: 'Time',
    actor: 'Actor',
    actions: 'Actions',
    user: 'user',
    system: 'system',
    noRuleMatched: 'no rule matched',
    replay: 'replay',
    follow: 'Follow this process',
    json: 'JSON',
    jsonOf: 'of {type} at {time}',
    traceOf: 'Trace of process {processId}',
    empty: 'No events in the last five minutes: they appear here as they happen.',
    noMatch: 'No event matches the filters.',
    announcePaused: 'Paused. The list is frozen.',
    announceResumed: 'Resumed.',
    announceMatching: 'Events matching the filters: {count}',
  },
  sv: {
    title: 'Händelseflöde',
    intro: 'Organisationens händelser när de sker, de senaste först, från fem minuter innan sidan öppnades.',
    following: 'Följer processen {processId}',
    openTrace: 'Öppna spårningen',
    stopFollowing: 'Sluta följa',
    type: 'Typ',
    allTypes: 'Alla typer',
    place: 'Plats',
    process: 'Process',
    anyId: 'id, eller en del av det',
    clearFilters: 'Rensa filtren',
    pause: 'Pausa',
    resume: 'Fortsätt',
    paused: 'Pausad',
    waiting: 'Nya händelser som väntar: {count}',
    waitingFiltered: 'Nya händelser som väntar: {count} ({matching} matchar filtren)',
    showingNewest: 'Visar de senaste {shown} av {total} händelser',
    showingAll: 'Händelser: {total}',
    caption: 'Livehändelser, de senaste först',
    time: 'Tid',
    actor: 'Aktör',
    actions: 'Åtgärder',
    user: 'användare',
    system: 'system',
    noRuleMatched: 'ingen regel matchade',
    replay: 'omspelning',
    follow: 'Följ processen',
    json: 'JSON',
    jsonOf: 'för {type} kl. {time}',
    traceOf: 'Spårning av processen {processId}',
    empty: 'Inga händelser de senaste fem minuterna: de visas här när de sker.',
    noMatch: 'Ingen händelse matchar filtren.',
    announcePaused: 'Pausad. Listan står still.',
    announceResumed: 'Fortsätter.',
    announceMatching: 'Händelser som matchar filtren: {count}',
  },
  fi: {
    title: 'Tapahtumavirta',
    intro:
      'Organisaation tapahtumat sitä mukaa kuin niitä tapahtuu, uusimmat ensin, alkaen viisi minuuttia ennen sivun avaamista.',
    following: 'Seurataan prosessia {processId}',
    openTrace: 'Avaa jäljitys',
    stopFollowing: 'Lopeta seuraaminen',
    type: 'Tyyppi',
    allTypes: 'Kaikki tyypit',
    place: 'Paikka',
    process: 'Prosessi',
    anyId: 'tunnus tai sen osa',
    clearFilters: 'Tyhjennä suodattimet',
    pause: 'Keskeytä',
    resume: 'Jatka',
    paused: 'Keskeytetty',
    waiting: 'Odottavia uusia tapahtumia: {count}',
    waitingFiltered: 'Odottavia uusia tapahtumia: {count} (suodattimia vastaa {matching})',
    showingNewest: 'Näytetään uusimmat {shown} / {total} tapahtumaa',
    showingAll: 'Tapahtumia: {total}',
    caption: 'Live-tapahtumat, uusimmat ensin',
    time: 'Aika',
    actor: 'Toimija',
    actions: 'Toiminnot',
    user: 'käyttäjä',
    system: 'järjestelmä',
    noRuleMatched: 'mikään sääntö ei täsmännyt',
    replay: 'uudelleentoisto',
    follow: 'Seuraa prosessia',
    json: 'JSON',
    jsonOf: '{type} klo {time}',
    traceOf: 'Prosessin {processId} jäljitys',
    empty: 'Ei tapahtumia viiden viime minuutin aikana: ne näkyvät täällä sitä mukaa kuin niitä tapahtuu.',
    noMatch: 'Mikään tapahtuma ei vastaa suodattimia.',
    announcePaused: 'Keskeytetty. Lista ei päivity.',
    announceResumed: 'Jatketaan.',
    announceMatching: 'Suodattimia vastaavia tapahtumia: {count}',
  },
});

interface Filters {
  type: string;
  placeId: string;
  processId: string;
}

const QUERY_KEYS: Record<keyof Filters, string> = {
  type: 'type',
  placeId: 'placeId',
  processId: 'processId',
};

function matcher(filters: Filters): (live: LiveEvent) => boolean {
  const place = filters.placeId.trim().toLowerCase();
  const process = filters.processId.trim().toLowerCase();
  const { type } = filters;
  return ({ event: { metadata } }) =>
    (!type || metadata.type === type) &&
    (!place || metadata.placeId.toLowerCase().includes(place)) &&
    (!process || metadata.processId.toLowerCase().includes(process));
}

/** Sets the view's query: a new history entry (`push`), or in place as the user types. */
function navigate(filters: Filters, push: boolean): void {
  const query: Record<string, string> = {};
  for (const key of ['processId', 'placeId', 'type'] as const) {
    const value = filters[key].trim();
    if (value) query[QUERY_KEYS[key]] = value;
  }
  const href = hrefOf('flow', [], query);
  if (href === location.hash) return;
  if (push) {
    location.hash = href;
  } else {
    history.replaceState(history.state, '', href);
    dispatchEvent(new HashChangeEvent('hashchange'));
  }
}

export function FlowView() {
  const t = useMessages(messages);
  const live = useLive();
  const route = useRoute();
  const filters: Filters = {
    type: route.query.get('type') ?? '',
    placeId: route.query.get('placeId') ?? '',
    processId: route.query.get('processId') ?? '',
  };
  const filtering = Boolean(filters.type || filters.placeId.trim() || filters.processId.trim());
  const following = filters.processId.trim();
  const [frozen, setFrozen] = useState<LiveEvent[]>();
  const [expanded, setExpanded] = useState<ReadonlySet<string>>(new Set());
  const [announcement, setAnnouncement] = useState('');
  const paused = frozen !== undefined;
  const source = frozen ?? live.events;

  const setFilter = (key: keyof Filters, value: string, push = false) =>
    navigate({ ...filters, [key]: value }, push);

  const { rows, total } = useMemo(() => {
    const matches = matcher(filters);
    const rows: LiveEvent[] = [];
    let total = 0;
    for (let i = source.length - 1; i >= 0; i--) {
      const live = source[i] as LiveEvent;
      if (!matches(live)) continue;
      total++;
      if (rows.length < MAX_ROWS) rows.push(live);
    }
    return { rows, total };
  }, [source, filters.type, filters.placeId, filters.processId]);

  const types = useMemo(() => {
    const seen = new Set(live.events.map((live) => live.event.metadata.type));
    if (filters.type) seen.add(filters.type);
    return [...seen].sort();
  }, [live.events, filters.type]);

  const waiting = useMemo(() => {
    if (!frozen) return { count: 0, matching: 0 };
    const lastId = frozen.at(-1)?.event.metadata.id;
    const index = lastId ? live.events.findLastIndex((live) => live.event.metadata.id === lastId) : -1;
    const fresh = live.events.slice(index + 1);
    return { count: fresh.length, matching: fresh.filter(matcher(filters)).length };
  }, [frozen, live.events, filters.type, filters.placeId, filters.processId]);

  // Announce the count when the filters change (settled), not at every event.
  useEffect(() => {
    if (!filtering) return;
    const timer = setTimeout(() => setAnnouncement(t('announceMatching', { count: total })), 600);
    return () => clearTimeout(timer);
  }, [filters.type, filters.placeId, filters.processId]);

  const togglePause = () => {
    if (paused) {
      setFrozen(undefined);
      setAnnouncement(t('announceResumed'));
    } else {
      setFrozen(live.events);
      setAnnouncement(t('announcePaused'));
    }
  };

  const toggle = (id: string) =>
    setExpanded((previous) => {
      const next = new Set(previous);
      if (!next.delete(id)) next.add(id);
      return next;
    });

  return (
    <section class="flow" aria-labelledby="flow-title">
      <h1 id="flow-title">{t('title')}</h1>
      <p class="muted">{t('intro')}</p>

      {following && (
        <div key="following" class="card flow-following">
          <strong>{t('following', { processId: following })}</strong>
          <a href={hrefOf('trace', [following])}>{t('openTrace')}</a>
          <button type="button" class="secondary" onClick={() => setFilter('processId', '', true)}>
            {t('stopFollowing')}
          </button>
        </div>
      )}

      <div key="toolbar" class="toolbar flow-toolbar">
        <label>
          <span>{t('type')}</span>
          <select
            name="type"
            value={filters.type}
            onChange={(event) => setFilter('type', event.currentTarget.value)}
          >
            <option value="">{t('allTypes')}</option>
            {types.map((type) => (
              <option key={type} value={type}>
                {type}
              </option>
            ))}
          </select>
        </label>
        <label>
          <span>{t('place')}</span>
          <input
            type="search"
            name="placeId"
            value={filters.placeId}
            placeholder={t('anyId')}
            autocomplete="off"
            spellcheck={false}
            onInput={(event) => setFilter('placeId', event.currentTarget.value)}
          />
        </label>
        <label>
          <span>{t('process')}</span>
          <input
            type="search"
            name="processId"
            value={filters.processId}
            placeholder={t('anyId')}
            autocomplete="off"
            spellcheck={false}
            onInput={(event) => setFilter('processId', event.currentTarget.value)}
          />
        </label>
        {filtering && (
          <button
            key="clear"
            type="button"
            class="secondary"
            onClick={() => navigate({ type: '', placeId: '', processId: '' }, true)}
          >
            {t('clearFilters')}
          </button>
        )}
        <span key="spacer" class="flow-spacer" />
        <button
          key="pause"
          type="button"
          class={paused ? 'flow-pause paused' : 'flow-pause secondary'}
          aria-pressed={paused}
          onClick={togglePause}
        >
          {paused ? t('resume') : t('pause')}
        </button>
      </div>

      <p class="flow-count">
        <span key="count" data-flow-count={total}>
          {total > rows.length
            ? t('showingNewest', { shown: rows.length, total })
            : t('showingAll', { total })}
        </span>
        {paused && (
          <span key="waiting" class="badge warn flow-waiting" data-waiting={waiting.count}>
            {t('paused')} ·{' '}
            {filtering && waiting.matching !== waiting.count
              ? t('waitingFiltered', { count: waiting.count, matching: waiting.matching })
              : t('waiting', { count: waiting.count })}
          </span>
        )}
      </p>
      <p class="visually-hidden" aria-live="polite">
        {announcement}
      </p>

      {rows.length === 0 ? (
        <p class="card muted flow-empty">{source.length === 0 ? t('empty') : t('noMatch')}</p>
      ) : (
        <table class="data flow-table">
          <caption class="visually-hidden">{t('caption')}</caption>
          <thead>
            <tr>
              <th scope="col">{t('time')}</th>
              <th scope="col">{t('type')}</th>
              <th scope="col">{t('place')}</th>
              <th scope="col">{t('process')}</th>
              <th scope="col">{t('actor')}</th>
              <th scope="col">
                <span class="visually-hidden">{t('actions')}</span>
              </th>
            </tr>
          </thead>
          <tbody>
            {rows.map((live) => (
              <FlowRow
                key={live.event.metadata.id}
                live={live}
                t={t}
                open={expanded.has(live.event.metadata.id)}
                following={following === live.event.metadata.processId}
                onToggle={toggle}
                onFollow={(processId) => navigate({ type: '', placeId: '', processId }, true)}
              />
            ))}
          </tbody>
        </table>
      )}
    </section>
  );
}

function FlowRow(props: {
  live: LiveEvent;
  t: Translate<keyof (typeof messages)['en']>;
  open: boolean;
  following: boolean;
  onToggle(id: string): void;
  onFollow(processId: string): void;
}) {
  const { live, t, open } = props;
  const { metadata } = live.event;
  const jsonId = `flow-json-${metadata.id}`;
  const time = t.time(metadata.occurredAt);
  return (
    <>
      <tr
        data-event-id={metadata.id}
        data-event-type={metadata.type}
        class={live.unmatched ? 'unmatched' : undefined}
      >
        <td class="flow-time">
          <time dateTime={metadata.occurredAt} title={t.dateTime(metadata.occurredAt)}>
            {time}
          </time>
        </td>
        <td>
          <span class="flow-type">{metadata.type}</span>
          {live.unmatched && (
            <>
              {' '}
              <span class="badge warn" data-no-rule-matched="true">
                {t('noRuleMatched')}
              </span>
            </>
          )}
          {live.replay && (
            <>
              {' '}
              <span class="badge info" title={live.replay}>
                {t('replay')}
              </span>
            </>
          )}
        </td>
        <td class="flow-id">{metadata.placeId}</td>
        <td class="flow-id">
          <a
            href={hrefOf('trace', [metadata.processId])}
            title={t('traceOf', { processId: metadata.processId })}
          >
            {metadata.processId}
          </a>
        </td>
        <td class="flow-actor">
          {/* The feed carries whatever the bus routed: an event from outside may name no actor. */}
          {metadata.actor ? (
            <>
              <span class="muted">{t(metadata.actor.kind)}</span> {metadata.actor.id}
            </>
          ) : (
            '–'
          )}
        </td>
        <td class="flow-actions">
          {!props.following && (
            <button
              key="follow"
              type="button"
              class="secondary"
              data-action="follow"
              onClick={() => props.onFollow(metadata.processId)}
            >
              {t('follow')}
            </button>
          )}
          <button
            key="json"
            type="button"
            class="secondary"
            data-action="json"
            aria-expanded={open}
            aria-controls={open ? jsonId : undefined}
            onClick={() => props.onToggle(metadata.id)}
          >
            {t('json')}
            <span class="visually-hidden"> {t('jsonOf', { type: metadata.type, time })}</span>
          </button>
        </td>
      </tr>
      {open && (
        <tr class="flow-json" data-json-of={metadata.id}>
          <td colSpan={6}>
            <pre class="json" id={jsonId}>
              {JSON.stringify(live.event, null, 2)}
            </pre>
          </td>
        </tr>
      )}
    </>
  );
}
