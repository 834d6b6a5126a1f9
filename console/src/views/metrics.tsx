/**
 * Metrics: the organisation's events per minute by type and its emails sent and failed, and each
 * function's invocations, errors and p50/p99 duration (GET /ops/metrics), over a window the user picks,
 * refreshed every 10 seconds. Every chart says what it shows in its label and has its numbers as a
 * table, so nothing is only in pixels. Long windows are drawn in buckets of several minutes.
 */
import {
  BarController,
  BarElement,
  CategoryScale,
  Chart,
  type ChartConfiguration,
  type ChartType,
  Filler,
  Legend,
  LinearScale,
  LineController,
  LineElement,
  PointElement,
  Tooltip,
} from 'chart.js';
import type { ComponentChildren } from 'preact';
import { useEffect, useMemo, useRef, useState } from 'preact/hooks';
import { hrefOf, useApi, useLoad, useRoute } from '../app.tsx';
import { defineMessages, type Translate, useMessages } from '../i18n.ts';
import './metrics.css';

Chart.register(
  LineController,
  LineElement,
  PointElement,
  LinearScale,
  CategoryScale,
  BarController,
  BarElement,
  Legend,
  Tooltip,
  Filler,
);

/** GET /ops/metrics (functions/api/metrics.ts, its zod schema `Metrics`). */
export interface Metrics {
  window: { start: string; end: string; minutes: number };
  events: {
    /** The start of each minute of the window, oldest first. */
    minutes: string[];
    /** One series per event type seen, counts aligned with `minutes`. */
    series: { type: string; counts: number[] }[];
    total: number;
    /** The read stopped at its limit: the latest minutes may be undercounted. */
    truncated: boolean;
  };
  /** Aligned with `events.minutes`. */
  emails: { sent: number[]; failed: number[] };
  /** Every function of the pipeline, account-wide (all organisations). */
  functions: {
    name: string;
    invocations: number;
    errors: number;
    p50DurationMs: number | null;
    p99DurationMs: number | null;
  }[];
}

const messages = defineMessages({
  en: {
    title: 'Metrics',
    window: 'Window',
    window15: 'Last 15 minutes',
    window60: 'Last hour',
    window360: 'Last 6 hours',
    window1440: 'Last 24 hours',
    autoRefresh: 'Refresh every 10 s',
    refresh: 'Refresh',
    updated: 'Updated {time}',
    loading: 'Loading…',
    loadFailed: 'The metrics could not be loaded: {error}',
    truncated: 'The window holds more events than one request reads: the latest minutes may be undercounted.',
    events: 'Events',
    emailsSent: 'Emails sent',
    emailsFailed: 'Emails failed',
    invocations: 'Invocations',
    errors: 'Errors',
    bucket1: 'per minute',
    bucketN: 'per {n} minutes',
    eventsTitle: 'Events by type, {bucket}',
    eventsLabel:
      'Stacked bar chart of events by type, {bucket}, {window}: {total} events of {types} types; the busiest began at {time} with {peak}.',
    eventsNone: 'Bar chart of events by type, {window}: no events.',
    emailsTitle: 'Emails sent and failed, {bucket}',
    emailsLabel: 'Line chart of emails, {bucket}, {window}: {sent} sent and {failed} failed.',
    durationsTitle: 'Duration by function',
    durationsLabel:
      'Bar chart of the p50 and p99 duration of {count} functions with invocations; the slowest p99 is {name} with {ms} ms.',
    durationsNone: 'Bar chart of function durations: no function was invoked in the window.',
    functionsTitle: 'Functions',
    functionsNote: 'The functions serve every organisation: these numbers are account-wide.',
    function: 'Function',
    p50: 'p50 (ms)',
    p99: 'p99 (ms)',
    sent: 'Sent',
    failed: 'Failed',
    showTable: 'Show as table',
    time: 'Time',
    total: 'Total',
    byType: 'By type',
    emptyRowsLeftOut: 'Times without any are left out.',
    noData: 'Nothing in this window.',
  },
  sv: {
    title: 'Mätvärden',
    window: 'Tidsfönster',
    window15: 'Senaste 15 minuterna',
    window60: 'Senaste timmen',
    window360: 'Senaste 6 timmarna',
    window1440: 'Senaste 24 timmarna',
    autoRefresh: 'Uppdatera var 10:e sekund',
    refresh: 'Uppdatera',
    updated: 'Uppdaterad {time}',
    loading: 'Läser in…',
    loadFailed: 'Mätvärdena kunde inte läsas in: {error}',
    truncated:
      'Fönstret innehåller fler händelser än en förfrågan läser: de senaste minuterna kan vara underräknade.',
    events: 'Händelser',
    emailsSent: 'Skickad e-post',
    emailsFailed: 'Misslyckad e-post',
    invocations: 'Anrop',
    errors: 'Fel',
    bucket1: 'per minut',
    bucketN: 'per {n} minuter',
    eventsTitle: 'Händelser per typ, {bucket}',
    eventsLabel:
      'Staplat stapeldiagram över händelser per typ, {bucket}, {window}: {total} händelser av {types} typer; flest började {time} med {peak}.',
    eventsNone: 'Stapeldiagram över händelser per typ, {window}: inga händelser.',
    emailsTitle: 'E-post skickad och misslyckad, {bucket}',
    emailsLabel: 'Linjediagram över e-post, {bucket}, {window}: {sent} skickade och {failed} misslyckade.',
    durationsTitle: 'Körtid per funktion',
    durationsLabel:
      'Stapeldiagram över körtid p50 och p99 för {count} anropade funktioner; långsammast p99 har {name} med {ms} ms.',
    durationsNone: 'Stapeldiagram över funktioners körtid: ingen funktion anropades i fönstret.',
    functionsTitle: 'Funktioner',
    functionsNote: 'Funktionerna betjänar alla organisationer: siffrorna gäller hela kontot.',
    function: 'Funktion',
    p50: 'p50 (ms)',
    p99: 'p99 (ms)',
    sent: 'Skickade',
    failed: 'Misslyckade',
    showTable: 'Visa som tabell',
    time: 'Tid',
    total: 'Totalt',
    byType: 'Per typ',
    emptyRowsLeftOut: 'Tider utan några är utelämnade.',
    noData: 'Inget i det här fönstret.',
  },
  fi: {
    title: 'Mittarit',
    window: 'Aikaikkuna',
    window15: 'Viimeiset 15 minuuttia',
    window60: 'Viimeinen tunti',
    window360: 'Viimeiset 6 tuntia',
    window1440: 'Viimeiset 24 tuntia',
    autoRefresh: 'Päivitä 10 sekunnin välein',
    refresh: 'Päivitä',
    updated: 'Päivitetty {time}',
    loading: 'Ladataan…',
    loadFailed: 'Mittareita ei voitu ladata: {error}',
    truncated:
      'Ikkunassa on enemmän tapahtumia kuin yksi pyyntö lukee: viimeisimmät minuutit voivat olla alilaskettuja.',
    events: 'Tapahtumat',
    emailsSent: 'Lähetetyt sähköpostit',
    emailsFailed: 'Epäonnistuneet sähköpostit',
    invocations: 'Kutsut',
    errors: 'Virheet',
    bucket1: 'minuuteittain',
    bucketN: '{n} minuutin jaksoissa',
    eventsTitle: 'Tapahtumat tyypeittäin, {bucket}',
    eventsLabel:
      'Pinottu pylväskaavio tapahtumista tyypeittäin, {bucket}, {window}: {total} tapahtumaa, {types} tyyppiä; eniten alkaen {time}: {peak}.',
    eventsNone: 'Pylväskaavio tapahtumista tyypeittäin, {window}: ei tapahtumia.',
    emailsTitle: 'Lähetetyt ja epäonnistuneet sähköpostit, {bucket}',
    emailsLabel: 'Viivakaavio sähköposteista, {bucket}, {window}: {sent} lähetetty ja {failed} epäonnistui.',
    durationsTitle: 'Kesto funktioittain',
    durationsLabel:
      'Pylväskaavio {count} kutsutun funktion kestosta p50 ja p99; hitain p99 on funktiolla {name}: {ms} ms.',
    durationsNone: 'Pylväskaavio funktioiden kestosta: yhtään funktiota ei kutsuttu ikkunassa.',
    functionsTitle: 'Funktiot',
    functionsNote: 'Funktiot palvelevat kaikkia organisaatioita: luvut koskevat koko tiliä.',
    function: 'Funktio',
    p50: 'p50 (ms)',
    p99: 'p99 (ms)',
    sent: 'Lähetetty',
    failed: 'Epäonnistui',
    showTable: 'Näytä taulukkona',
    time: 'Aika',
    total: 'Yhteensä',
    byType: 'Tyypeittäin',
    emptyRowsLeftOut: 'Ajat ilman yhtään on jätetty pois.',
    noData: 'Ei mitään tässä ikkunassa.',
  },
});

type T = Translate<keyof (typeof messages)['en']>;

const WINDOWS = [15, 60, 360, 1440] as const;
type Window = (typeof WINDOWS)[number];
const DEFAULT_WINDOW: Window = 60;
/** Minutes per bar: at most about a hundred bars whatever the window. */
const BUCKET: Record<Window, number> = { 15: 1, 60: 1, 360: 5, 1440: 15 };
const REFRESH_MS = 10_000;

const COLOURS = {
  ink: '#4d5561',
  grid: '#e3e7ec',
  sent: '#1b6e3a',
  failed: '#b42318',
  p50: '#1d4e89',
  p99: '#c2620a',
};

function windowOf(value: string | null): Window {
  const minutes = Number(value);
  return (WINDOWS as readonly number[]).includes(minutes) ? (minutes as Window) : DEFAULT_WINDOW;
}

/**
 * The window's minutes in buckets of `size` minutes aligned to the clock (a 15-minute bucket starts at
 * :00, :15, :30 or :45; the first and the last may be partial): each bucket's start and, for each
 * minute, the bucket it falls in.
 */
interface Buckets {
  starts: number[];
  of: number[];
}
function bucketsOf(minutes: string[], size: number): Buckets {
  const starts: number[] = [];
  const of: number[] = [];
  const span = size * 60_000;
  for (const minute of minutes) {
    const start = Math.floor(Date.parse(minute) / span) * span;
    if (starts.at(-1) !== start) starts.push(start);
    of.push(starts.length - 1);
  }
  return { starts, of };
}

/** Sums per-minute `counts` into `buckets`. */
function bucketed(counts: number[], buckets: Buckets): number[] {
  const out = buckets.starts.map(() => 0);
  counts.forEach((count, i) => {
    const at = buckets.of[i] ?? 0;
    out[at] = (out[at] ?? 0) + count;
  });
  return out;
}

const sum = (values: number[]) => values.reduce((a, b) => a + b, 0);

/**
 * A colour per event type: one hue per family (the part before the dot: Interview, Notification, …),
 * lighter or darker per type within it, so the families stand out in a stack of twenty types.
 */
function typeColours(types: string[]): Map<string, string> {
  const families = [...new Set(types.map((type) => type.split('.')[0] ?? type))];
  const colours = new Map<string, string>();
  for (const [f, family] of families.entries()) {
    const members = types.filter((type) => (type.split('.')[0] ?? type) === family);
    const hue = Math.round((f * 360 * 0.618) % 360);
    for (const [m, type] of members.entries()) {
      const lightness = members.length === 1 ? 45 : 32 + (m * 34) / (members.length - 1);
      colours.set(type, `hsl(${hue} 62% ${Math.round(lightness)}%)`);
    }
  }
  return colours;
}

export function MetricsView() {
  const t = useMessages(messages);
  const api = useApi();
  const route = useRoute();
  const minutes = windowOf(route.query.get('minutes'));
  const bucket = BUCKET[minutes];
  const [autoRefresh, setAutoRefresh] = useState(true);
  const [loadedAt, setLoadedAt] = useState<number>();
  const metrics = useLoad(async () => {
    const answer = await api.get<Metrics>('/ops/metrics', { minutes });
    setLoadedAt(Date.now());
    return answer;
  }, [api, minutes]);

  const reload = useRef(metrics.reload);
  reload.current = metrics.reload;
  useEffect(() => {
    if (!autoRefresh) return;
    const timer = setInterval(() => {
      if (document.visibilityState === 'visible') reload.current();
    }, REFRESH_MS);
    return () => clearInterval(timer);
  }, [autoRefresh]);

  const data = metrics.data;
  const windowText = t(`window${minutes}`).toLocaleLowerCase(t.locale);
  const bucketText = bucket === 1 ? t('bucket1') : t('bucketN', { n: bucket });

  return (
    <section class="metrics" aria-labelledby="metrics-title" aria-busy={metrics.loading}>
      <div class="view-heading">
        <h1 id="metrics-title">{t('title')}</h1>
      </div>
      <div class="toolbar">
        <label>
          <span>{t('window')}</span>
          <select
            value={String(minutes)}
            data-control="window"
            onChange={(event) => {
              location.hash = hrefOf('metrics', [], { minutes: event.currentTarget.value });
            }}
          >
            {WINDOWS.map((value) => (
              <option key={value} value={String(value)}>
                {t(`window${value}`)}
              </option>
            ))}
          </select>
        </label>
        <label class="inline">
          <input
            type="checkbox"
            checked={autoRefresh}
            data-control="auto-refresh"
            onChange={(event) => setAutoRefresh(event.currentTarget.checked)}
          />
          <span>{t('autoRefresh')}</span>
        </label>
        <button type="button" class="secondary" onClick={() => metrics.reload()}>
          {t('refresh')}
        </button>
        {loadedAt !== undefined && (
          <span class="muted updated" aria-live="off">
            {t('updated', { time: t.time(loadedAt) })}
          </span>
        )}
      </div>

      {metrics.error && (
        <p role="alert" class="error">
          {t('loadFailed', { error: metrics.error })}
        </p>
      )}
      {!data && !metrics.error && <p class="loading">{t('loading')}</p>}
      {data && (
        <>
          {data.events.truncated && (
            <p class="card warn-note" role="note">
              <span class="badge warn">!</span> {t('truncated')}
            </p>
          )}
          <Summary data={data} t={t} />
          <div class="metric-charts">
            <EventsChart data={data} bucket={bucket} t={t} windowText={windowText} bucketText={bucketText} />
            <EmailsChart data={data} bucket={bucket} t={t} windowText={windowText} bucketText={bucketText} />
            <Durations data={data} t={t} />
          </div>
        </>
      )}
    </section>
  );
}

function Summary({ data, t }: { data: Metrics; t: T }) {
  const failed = sum(data.emails.failed);
  const errors = sum(data.functions.map((fn) => fn.errors));
  const cards: { key: string; label: string; value: number; tone?: string }[] = [
    { key: 'events', label: t('events'), value: data.events.total },
    { key: 'emails-sent', label: t('emailsSent'), value: sum(data.emails.sent) },
    { key: 'emails-failed', label: t('emailsFailed'), value: failed, tone: failed > 0 ? 'error' : '' },
    { key: 'invocations', label: t('invocations'), value: sum(data.functions.map((fn) => fn.invocations)) },
    { key: 'errors', label: t('errors'), value: errors, tone: errors > 0 ? 'error' : '' },
  ];
  return (
    <div class="summary" data-summary>
      {cards.map((card) => (
        <div class="card" key={card.key} data-metric={card.key}>
          <div class="muted">{card.label}</div>
          <div class={`value ${card.tone ?? ''}`}>{t.number(card.value)}</div>
        </div>
      ))}
    </div>
  );
}

/** A Chart.js chart on a canvas: made on mount, updated in place with new data, destroyed on unmount. */
function ChartCanvas<TType extends ChartType>(props: {
  name: string;
  label: string;
  config: ChartConfiguration<TType>;
  height?: string;
}) {
  const canvas = useRef<HTMLCanvasElement>(null);
  const chart = useRef<Chart<TType>>();
  useEffect(
    () => () => {
      chart.current?.destroy();
      chart.current = undefined;
    },
    [],
  );
  useEffect(() => {
    if (!canvas.current) return;
    if (!chart.current) {
      chart.current = new Chart(canvas.current, props.config);
      return;
    }
    chart.current.data = props.config.data;
    if (props.config.options) chart.current.options = props.config.options as typeof chart.current.options;
    chart.current.update();
  }, [props.config]);
  return (
    <div class="chart-box" style={props.height ? { height: props.height } : undefined}>
      <canvas ref={canvas} role="img" aria-label={props.label} data-chart={props.name}>
        {props.label}
      </canvas>
    </div>
  );
}

const baseScales = (stacked: boolean) => ({
  x: {
    stacked,
    ticks: { color: COLOURS.ink, maxRotation: 0, autoSkipPadding: 12 },
    grid: { display: false },
  },
  y: {
    stacked,
    beginAtZero: true,
    ticks: { color: COLOURS.ink, precision: 0 },
    grid: { color: COLOURS.grid },
  },
});

function useBuckets(data: Metrics, bucket: number, t: T) {
  return useMemo(() => {
    const buckets = bucketsOf(data.events.minutes, bucket);
    const labels = buckets.starts.map((start) =>
      new Date(start).toLocaleTimeString(t.locale, { hour: '2-digit', minute: '2-digit', hour12: false }),
    );
    return { buckets, labels };
  }, [data, bucket, t.locale]);
}

function EventsChart(props: { data: Metrics; bucket: number; t: T; windowText: string; bucketText: string }) {
  const { data, bucket, t } = props;
  const { buckets, labels } = useBuckets(data, bucket, t);
  const series = useMemo(
    () =>
      data.events.series
        .map((s) => ({ type: s.type, counts: bucketed(s.counts, buckets) }))
        .filter((s) => sum(s.counts) > 0),
    [data, buckets],
  );
  const totals = useMemo(
    () => labels.map((_, i) => sum(series.map((s) => s.counts[i] ?? 0))),
    [labels, series],
  );
  const config = useMemo<ChartConfiguration<'bar'>>(() => {
    const colours = typeColours(series.map((s) => s.type));
    return {
      type: 'bar',
      data: {
        labels,
        datasets: series.map((s) => ({
          label: s.type,
          data: s.counts,
          backgroundColor: colours.get(s.type) ?? COLOURS.p50,
          borderWidth: 0,
          barPercentage: 0.95,
          categoryPercentage: 0.95,
        })),
      },
      options: {
        animation: false,
        responsive: true,
        maintainAspectRatio: false,
        scales: baseScales(true),
        interaction: { mode: 'index', intersect: false },
        plugins: {
          legend: { position: 'bottom', labels: { boxWidth: 12, color: COLOURS.ink } },
          tooltip: {
            filter: (item) => Number(item.raw) > 0,
            itemSort: (a, b) => Number(b.raw) - Number(a.raw),
          },
        },
      },
    };
  }, [labels, series]);
  const peak = Math.max(0, ...totals);
  const peakAt = totals.indexOf(peak);
  const label =
    data.events.total === 0
      ? t('eventsNone', { window: props.windowText })
      : t('eventsLabel', {
          bucket: props.bucketText,
          window: props.windowText,
          total: data.events.total,
          types: series.length,
          time: labels[peakAt] ?? '',
          peak,
        });
  return (
    <section class="card chart-card wide" aria-labelledby="chart-events-title">
      <h2 id="chart-events-title">{t('eventsTitle', { bucket: props.bucketText })}</h2>
      <ChartCanvas name="events" label={label} config={config} height="20rem" />
      <ChartTable t={t}>
        <table class="data">
          <thead>
            <tr>
              <th scope="col">{t('time')}</th>
              <th scope="col" class="number">
                {t('total')}
              </th>
              <th scope="col">{t('byType')}</th>
            </tr>
          </thead>
          <tbody>
            {totals.map((total, i) =>
              total === 0 ? null : (
                <tr key={labels[i]}>
                  <th scope="row">{labels[i]}</th>
                  <td class="number">{t.number(total)}</td>
                  <td>
                    {series
                      .filter((s) => (s.counts[i] ?? 0) > 0)
                      .sort((a, b) => (b.counts[i] ?? 0) - (a.counts[i] ?? 0))
                      .map((s) => `${s.type} ${t.number(s.counts[i] ?? 0)}`)
                      .join(', ')}
                  </td>
                </tr>
              ),
            )}
          </tbody>
        </table>
        <p class="muted">{data.events.total === 0 ? t('noData') : t('emptyRowsLeftOut')}</p>
      </ChartTable>
    </section>
  );
}

function EmailsChart(props: { data: Metrics; bucket: number; t: T; windowText: string; bucketText: string }) {
  const { data, bucket, t } = props;
  const { buckets, labels } = useBuckets(data, bucket, t);
  const sent = useMemo(() => bucketed(data.emails.sent, buckets), [data, buckets]);
  const failed = useMemo(() => bucketed(data.emails.failed, buckets), [data, buckets]);
  const config = useMemo<ChartConfiguration<'line'>>(
    () => ({
      type: 'line',
      data: {
        labels,
        datasets: [
          {
            label: t('sent'),
            data: sent,
            borderColor: COLOURS.sent,
            backgroundColor: 'rgba(27, 110, 58, 0.12)',
            fill: 'origin',
            pointRadius: 0,
            pointHoverRadius: 4,
            borderWidth: 2,
          },
          {
            label: t('failed'),
            data: failed,
            borderColor: COLOURS.failed,
            backgroundColor: COLOURS.failed,
            borderDash: [6, 3],
            pointRadius: 0,
            pointHoverRadius: 4,
            borderWidth: 2,
          },
        ],
      },
      options: {
        animation: false,
        responsive: true,
        maintainAspectRatio: false,
        scales: baseScales(false),
        interaction: { mode: 'index', intersect: false },
        plugins: {
          legend: {
            position: 'bottom',
            labels: { usePointStyle: true, pointStyle: 'line', boxWidth: 24, color: COLOURS.ink },
          },
        },
      },
    }),
    [labels, sent, failed, t],
  );
  const label = t('emailsLabel', {
    bucket: props.bucketText,
    window: props.windowText,
    sent: sum(sent),
    failed: sum(failed),
  });
  const rows = labels.map((time, i) => ({ time, sent: sent[i] ?? 0, failed: failed[i] ?? 0 }));
  return (
    <section class="card chart-card" aria-labelledby="chart-emails-title">
      <h2 id="chart-emails-title">{t('emailsTitle', { bucket: props.bucketText })}</h2>
      <ChartCanvas name="emails" label={label} config={config} />
      <ChartTable t={t}>
        <table class="data">
          <thead>
            <tr>
              <th scope="col">{t('time')}</th>
              <th scope="col" class="number">
                {t('sent')}
              </th>
              <th scope="col" class="number">
                {t('failed')}
              </th>
            </tr>
          </thead>
          <tbody>
            {rows
              .filter((row) => row.sent + row.failed > 0)
              .map((row) => (
                <tr key={row.time}>
                  <th scope="row">{row.time}</th>
                  <td class="number">{t.number(row.sent)}</td>
                  <td class="number">{t.number(row.failed)}</td>
                </tr>
              ))}
          </tbody>
        </table>
        <p class="muted">{sum(sent) + sum(failed) === 0 ? t('noData') : t('emptyRowsLeftOut')}</p>
      </ChartTable>
    </section>
  );
}

function Durations({ data, t }: { data: Metrics; t: T }) {
  const invoked = useMemo(() => data.functions.filter((fn) => fn.invocations > 0), [data]);
  const config = useMemo<ChartConfiguration<'bar'>>(
    () => ({
      type: 'bar',
      data: {
        labels: invoked.map((fn) => fn.name),
        datasets: [
          { label: 'p50', data: invoked.map((fn) => fn.p50DurationMs ?? 0), backgroundColor: COLOURS.p50 },
          { label: 'p99', data: invoked.map((fn) => fn.p99DurationMs ?? 0), backgroundColor: COLOURS.p99 },
        ],
      },
      options: {
        animation: false,
        responsive: true,
        maintainAspectRatio: false,
        indexAxis: 'y',
        scales: {
          x: {
            beginAtZero: true,
            ticks: { color: COLOURS.ink, callback: (value) => `${t.number(Number(value))} ms` },
            grid: { color: COLOURS.grid },
          },
          y: { ticks: { color: COLOURS.ink }, grid: { display: false } },
        },
        plugins: {
          legend: { position: 'bottom', labels: { boxWidth: 12, color: COLOURS.ink } },
          tooltip: {
            callbacks: {
              label: (item) =>
                `${item.dataset.label}: ${t.number(Number(item.raw), { maximumFractionDigits: 0 })} ms`,
            },
          },
        },
      },
    }),
    [invoked, t],
  );
  const slowest = invoked.reduce<(typeof invoked)[number] | undefined>(
    (worst, fn) => (!worst || (fn.p99DurationMs ?? 0) > (worst.p99DurationMs ?? 0) ? fn : worst),
    undefined,
  );
  const label = slowest
    ? t('durationsLabel', {
        count: invoked.length,
        name: slowest.name,
        ms: t.number(slowest.p99DurationMs ?? 0, { maximumFractionDigits: 0 }),
      })
    : t('durationsNone');
  const ms = (value: number | null) =>
    value === null ? '–' : t.number(value, { maximumFractionDigits: value < 10 ? 1 : 0 });
  return (
    <>
      <section class="card chart-card" aria-labelledby="chart-durations-title">
        <h2 id="chart-durations-title">{t('durationsTitle')}</h2>
        <ChartCanvas
          name="durations"
          label={label}
          config={config}
          height={`${Math.max(12, 4 + invoked.length * 2.2)}rem`}
        />
        <p class="muted chart-note">{t('functionsNote')}</p>
      </section>
      <section class="card wide functions" aria-labelledby="functions-title">
        <h2 id="functions-title">{t('functionsTitle')}</h2>
        <table class="data" data-table="functions">
          <thead>
            <tr>
              <th scope="col">{t('function')}</th>
              <th scope="col" class="number">
                {t('invocations')}
              </th>
              <th scope="col" class="number">
                {t('errors')}
              </th>
              <th scope="col" class="number">
                {t('p50')}
              </th>
              <th scope="col" class="number">
                {t('p99')}
              </th>
            </tr>
          </thead>
          <tbody>
            {data.functions.map((fn) => (
              <tr key={fn.name} data-function={fn.name} class={fn.errors > 0 ? 'failed' : undefined}>
                <th scope="row">
                  <code>{fn.name}</code>
                </th>
                <td class="number">{t.number(fn.invocations)}</td>
                <td class="number">
                  {fn.errors > 0 ? <span class="badge error">{t.number(fn.errors)}</span> : t.number(0)}
                </td>
                <td class="number">{ms(fn.p50DurationMs)}</td>
                <td class="number">{ms(fn.p99DurationMs)}</td>
              </tr>
            ))}
          </tbody>
        </table>
        <p class="muted">{t('functionsNote')}</p>
      </section>
    </>
  );
}

/** A chart's numbers as a table, under a toggle. */
function ChartTable({ t, children }: { t: T; children: ComponentChildren }) {
  return (
    <details class="chart-table">
      <summary>{t('showTable')}</summary>
      <div class="table-scroll">{children}</div>
    </details>
  );
}
