/**
 * Alerts: what should have happened and did not. A stage with no progress for N days and overdue
 * tasks come from the board (GET /ops/board); failed deliveries from the failure queues (the board's
 * `failed` mark); events no rule matched from the bus (GET /ops/unmatched locally, and any such event
 * the live flow sees). Each alert links to its process.
 */
import type { ComponentChildren } from 'preact';
import { useMemo, useState } from 'preact/hooks';
import { hrefOf, useApi, useLive, useLoad } from '../app.tsx';
import { defineMessages, useMessages } from '../i18n.ts';
import type { BoardRow, UnmatchedEvent } from '../types.ts';
import { loadBoard } from './board.tsx';

const messages = defineMessages({
  en: {
    title: 'Alerts',
    noProgress: 'No progress for',
    days: '{days} days',
    stuck: 'Stage without progress',
    stuckText: '{place} ({municipality}) has been in {stage} for {time} without an event since {last}.',
    overdue: 'Overdue tasks',
    overdueText: '{place} ({municipality}): {count} overdue of {open} open tasks in {stage}.',
    failed: 'Failed deliveries',
    failedText: '{place} ({municipality}): an event of this process is in a failure queue.',
    unmatched: 'Events no rule matched',
    unmatchedText: '{type} (version {version}) at {time}: no rule on the bus matched it; nothing reacted.',
    unmatchedUnavailable:
      'Events that no rule matched are shown by the local runtime; on AWS they are in the event bus logs.',
    none: 'Nothing here.',
    trace: 'Trace',
    failures: 'Failures',
    loading: 'Loading…',
    error: 'Alerts could not be loaded: {error}',
    count: '{count} alerts',
  },
  sv: {
    title: 'Larm',
    noProgress: 'Inga framsteg på',
    days: '{days} dagar',
    stuck: 'Steg utan framsteg',
    stuckText: '{place} ({municipality}) har varit i {stage} i {time} utan händelse sedan {last}.',
    overdue: 'Försenade uppgifter',
    overdueText: '{place} ({municipality}): {count} försenade av {open} öppna uppgifter i {stage}.',
    failed: 'Misslyckade leveranser',
    failedText: '{place} ({municipality}): en händelse i processen ligger i en felkö.',
    unmatched: 'Händelser som ingen regel matchade',
    unmatchedText: '{type} (version {version}) kl. {time}: ingen regel på bussen matchade; inget reagerade.',
    unmatchedUnavailable:
      'Händelser som ingen regel matchade visas av den lokala miljön; i AWS finns de i händelsebussens loggar.',
    none: 'Inget här.',
    trace: 'Spårning',
    failures: 'Fel',
    loading: 'Läser in…',
    error: 'Larmen kunde inte läsas in: {error}',
    count: '{count} larm',
  },
  fi: {
    title: 'Hälytykset',
    noProgress: 'Ei edistystä',
    days: '{days} päivään',
    stuck: 'Vaihe ilman edistystä',
    stuckText: '{place} ({municipality}) on ollut vaiheessa {stage} {time} ilman tapahtumaa {last} jälkeen.',
    overdue: 'Myöhässä olevat tehtävät',
    overdueText: '{place} ({municipality}): {count} myöhässä {open} avoimesta tehtävästä vaiheessa {stage}.',
    failed: 'Epäonnistuneet toimitukset',
    failedText: '{place} ({municipality}): prosessin tapahtuma on virhejonossa.',
    unmatched: 'Tapahtumat, joihin mikään sääntö ei osunut',
    unmatchedText:
      '{type} (versio {version}) klo {time}: mikään väylän sääntö ei osunut; mikään ei reagoinut.',
    unmatchedUnavailable:
      'Tapahtumat, joihin mikään sääntö ei osunut, näkyvät paikallisessa ympäristössä; AWS:ssä ne ovat tapahtumaväylän lokeissa.',
    none: 'Ei mitään.',
    trace: 'Jäljitys',
    failures: 'Virheet',
    loading: 'Ladataan…',
    error: 'Hälytyksiä ei voitu ladata: {error}',
    count: '{count} hälytystä',
  },
});

const DAYS = [1, 3, 7, 14, 30] as const;

export function AlertsView() {
  const t = useMessages(messages);
  const api = useApi();
  const live = useLive();
  const [days, setDays] = useState(3);
  const board = useLoad(() => loadBoard(api, days * 24), [api, days]);
  const unmatchedStored = useLoad(
    async () =>
      api.config.features.unmatched
        ? (await api.get<{ items: UnmatchedEvent[] }>('/ops/unmatched')).items
        : [],
    [api],
  );
  const unmatched = useMemo(() => {
    const byId = new Map<string, UnmatchedEvent>();
    for (const item of unmatchedStored.data ?? []) byId.set(item.event.metadata.id, item);
    for (const item of live.events)
      if (item.unmatched)
        byId.set(item.event.metadata.id, {
          event: item.event,
          receivedAt: new Date(item.receivedAt).toISOString(),
        });
    return [...byId.values()].sort((a, b) => b.event.metadata.id.localeCompare(a.event.metadata.id));
  }, [unmatchedStored.data, live.events]);

  const rows = board.data ?? [];
  const stuck = rows.filter((row) => row.stuck);
  const overdue = rows.filter((row) => row.overdueTasks > 0);
  const failed = rows.filter((row) => row.failed);
  const stageName = (row: BoardRow) => row.stage.name?.[t.locale] ?? row.stage.key ?? '–';
  const total = stuck.length + overdue.length + failed.length + unmatched.length;

  return (
    <>
      <h1>{t('title')}</h1>
      <div class="toolbar">
        <label>
          {t('noProgress')}
          <select value={String(days)} onChange={(e) => setDays(Number(e.currentTarget.value))}>
            {DAYS.map((d) => (
              <option key={d} value={String(d)}>
                {t('days', { days: d })}
              </option>
            ))}
          </select>
        </label>
        <p role="status" class="muted">
          {board.loading && !board.data ? t('loading') : t('count', { count: total })}
        </p>
      </div>
      {board.error ? (
        <p role="alert" class="error">
          {t('error', { error: board.error })}
        </p>
      ) : null}

      <AlertGroup title={t('failed')} kind="failed" count={failed.length} empty={t('none')}>
        {failed.map((row) => (
          <li key={row.processId} data-alert="failed" data-process-id={row.processId}>
            <span class="badge error">✕</span>
            <span>{t('failedText', { place: row.placeName, municipality: row.municipality })}</span>
            <a href={hrefOf('failures')}>{t('failures')}</a>
            <a href={hrefOf('trace', [row.processId])}>{t('trace')}</a>
          </li>
        ))}
      </AlertGroup>

      <AlertGroup title={t('stuck')} kind="stuck" count={stuck.length} empty={t('none')}>
        {stuck.map((row) => (
          <li key={row.processId} data-alert="stuck" data-process-id={row.processId}>
            <span class="badge warn">⏸</span>
            <span>
              {t('stuckText', {
                place: row.placeName,
                municipality: row.municipality,
                stage: stageName(row),
                time: t.duration(row.timeInStageSeconds),
                last: t.dateTime(row.lastEventAt),
              })}
            </span>
            <a href={hrefOf('trace', [row.processId])}>{t('trace')}</a>
          </li>
        ))}
      </AlertGroup>

      <AlertGroup title={t('overdue')} kind="overdue" count={overdue.length} empty={t('none')}>
        {overdue.map((row) => (
          <li key={row.processId} data-alert="overdue" data-process-id={row.processId}>
            <span class="badge warn">⏰</span>
            <span>
              {t('overdueText', {
                place: row.placeName,
                municipality: row.municipality,
                count: row.overdueTasks,
                open: row.openTasks,
                stage: stageName(row),
              })}
            </span>
            <a href={hrefOf('trace', [row.processId])}>{t('trace')}</a>
          </li>
        ))}
      </AlertGroup>

      <AlertGroup
        title={t('unmatched')}
        kind="unmatched"
        count={unmatched.length}
        empty={api.config.features.unmatched ? t('none') : t('unmatchedUnavailable')}
      >
        {unmatched.map(({ event }) => (
          <li key={event.metadata.id} data-alert="unmatched" data-event-id={event.metadata.id}>
            <span class="badge info">?</span>
            <span>
              {t('unmatchedText', {
                type: event.metadata.type,
                version: event.metadata.version,
                time: t.dateTime(event.metadata.occurredAt),
              })}
            </span>
            {event.metadata.processId ? (
              <a href={hrefOf('trace', [event.metadata.processId])}>{t('trace')}</a>
            ) : null}
          </li>
        ))}
      </AlertGroup>
    </>
  );
}

function AlertGroup(props: {
  title: string;
  kind: string;
  count: number;
  empty: string;
  children: ComponentChildren;
}) {
  const id = `alerts-${props.kind}`;
  return (
    <section aria-labelledby={id} data-alerts={props.kind}>
      <h2 id={id}>
        {props.title} <span class="badge info">{props.count}</span>
      </h2>
      <ul class="alerts">{props.count > 0 ? props.children : <li class="muted">{props.empty}</li>}</ul>
    </section>
  );
}
