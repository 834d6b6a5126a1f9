/**
 * Operations metrics: what the console's charts read. Two sources, the same calls locally and on AWS:
 *
 * - the organisation's events per minute by type, and its emails sent and failed per minute, from the
 *   org event index (`ORG#{org}#EVENTS`, as GET /ops/events reads it): an event id is a ULID, whose
 *   time prefix is the minute it happened in;
 * - each function's invocations, errors and p50/p99 duration from CloudWatch GetMetricData (namespace
 *   AWS/Lambda, dimension FunctionName; AWS_ENDPOINT_URL_CLOUDWATCH locally, where the runtime keeps
 *   the Lambda host's invocations as those metrics). On AWS the names carry the stack prefix
 *   (FUNCTION_NAME_PREFIX). Functions serve every organisation, so these numbers are account-wide.
 */
import { GetMetricDataCommand, type MetricDataQuery } from '@aws-sdk/client-cloudwatch';
import { decodeTime } from 'ulid';
import * as z from 'zod';
import { NotificationFailed, NotificationSent } from '../../events/catalog.ts';
import { cloudWatchClient } from '../../shared/runtime/clients.ts';
import { operations } from '../../shared/runtime/environment.ts';
import { defineRoute, reply } from '../../shared/runtime/http.ts';
import { topology } from '../topology.ts';
import { orgEventItems, ulidLowerBound } from './ops.ts';

const MINUTE_MS = 60_000;
/** The most events one request reads from the index (the cost bound); beyond it `truncated` is true. */
export const MAX_METRIC_EVENTS_READ = 10_000;

const MetricsQuery = z.object({
  minutes: z.coerce
    .number()
    .int()
    .min(5)
    .max(1440)
    .default(60)
    .describe('The window: this many whole minutes, the current one last'),
});

const Metrics = z.object({
  window: z.object({
    start: z.string().describe('The first minute (inclusive), ISO 8601'),
    end: z.string().describe('The end of the current minute (exclusive), ISO 8601'),
    minutes: z.number().int(),
  }),
  events: z.object({
    minutes: z.array(z.string()).describe('The start of each minute of the window, oldest first'),
    series: z
      .array(z.object({ type: z.string(), counts: z.array(z.number().int()) }))
      .describe('One series per event type seen, counts aligned with `minutes`; by type'),
    total: z.number().int(),
    truncated: z
      .boolean()
      .describe(
        `The read stopped at ${MAX_METRIC_EVENTS_READ.toLocaleString('en')} events (oldest first): the latest minutes may be undercounted`,
      ),
  }),
  emails: z
    .object({
      sent: z.array(z.number().int()).describe(`${NotificationSent.type} per minute`),
      failed: z.array(z.number().int()).describe(`${NotificationFailed.type} per minute`),
    })
    .describe('One per recipient, aligned with `events.minutes`'),
  functions: z
    .array(
      z.object({
        name: z.string().describe('As the topology names it, without the stack prefix'),
        invocations: z.number().int(),
        errors: z.number().int(),
        p50DurationMs: z.number().nullable().describe('Milliseconds, to a tenth; null without invocations'),
        p99DurationMs: z.number().nullable().describe('Milliseconds, to a tenth; null without invocations'),
      }),
    )
    .describe('Every function of the pipeline over the window, account-wide (all organisations)'),
});

const ISO_MINUTE = (ms: number) => new Date(ms).toISOString();

/** Events of the organisation by minute and type from `start`, at most MAX_METRIC_EVENTS_READ. */
async function countEvents(orgId: string, start: number, buckets: number) {
  const byType = new Map<string, number[]>();
  const events = orgEventItems(orgId, ulidLowerBound(start), {
    attributes: ['gsi1sk', 'type'],
    maxRead: MAX_METRIC_EVENTS_READ,
  });
  let next = await events.next();
  for (; !next.done; next = await events.next()) {
    const item = next.value;
    const minute = Math.floor((decodeTime(String(item.gsi1sk)) - start) / MINUTE_MS);
    if (minute < 0 || minute >= buckets) continue;
    const type = String(item.type);
    const counts = byType.get(type) ?? new Array<number>(buckets).fill(0);
    byType.set(type, counts);
    counts[minute] = (counts[minute] ?? 0) + 1;
  }
  return { byType, truncated: next.value };
}

const STATS = { invocations: ['Invocations', 'Sum'], errors: ['Errors', 'Sum'] } as const;
const DURATIONS = { p50DurationMs: 'p50', p99DurationMs: 'p99' } as const;

/** Each function's Lambda metrics over [start, end) as one datapoint (the period is the window). */
async function functionMetrics(start: number, end: number) {
  const names = topology.map((fn) => fn.name);
  const period = (end - start) / 1000;
  const query = (id: string, name: string, metric: string, stat: string): MetricDataQuery => ({
    Id: id,
    MetricStat: {
      Metric: {
        Namespace: 'AWS/Lambda',
        MetricName: metric,
        Dimensions: [{ Name: 'FunctionName', Value: `${operations.functionNamePrefix}${name}` }],
      },
      Period: period,
      Stat: stat,
    },
    ReturnData: true,
  });
  const queries = names.flatMap((name, i) => [
    ...Object.entries(STATS).map(([key, [metric, stat]]) => query(`f${i}_${key}`, name, metric, stat)),
    ...Object.entries(DURATIONS).map(([key, stat]) => query(`f${i}_${key}`, name, 'Duration', stat)),
  ]);
  const values = new Map<string, number[]>();
  let nextToken: string | undefined;
  do {
    const answer = await cloudWatchClient().send(
      new GetMetricDataCommand({
        MetricDataQueries: queries,
        StartTime: new Date(start),
        EndTime: new Date(end),
        ...(nextToken ? { NextToken: nextToken } : {}),
      }),
    );
    for (const result of answer.MetricDataResults ?? [])
      values.set(result.Id ?? '', [...(values.get(result.Id ?? '') ?? []), ...(result.Values ?? [])]);
    nextToken = answer.NextToken;
  } while (nextToken);
  // The window is one period, so one datapoint each; should CloudWatch split it, sums add up and a
  // percentile is the largest of the parts (an upper bound, never an average of percentiles).
  const sum = (id: string) => Math.round((values.get(id) ?? []).reduce((a, b) => a + b, 0));
  const largest = (id: string) => {
    const found = values.get(id) ?? [];
    return found.length > 0 ? Math.round(Math.max(...found) * 10) / 10 : null;
  };
  return names.map((name, i) => ({
    name,
    invocations: sum(`f${i}_invocations`),
    errors: sum(`f${i}_errors`),
    p50DurationMs: largest(`f${i}_p50DurationMs`),
    p99DurationMs: largest(`f${i}_p99DurationMs`),
  }));
}

export const metricsRoutes = [
  defineRoute({
    operationId: 'opsMetrics',
    tag: 'ops',
    method: 'GET',
    path: '/ops/metrics',
    query: MetricsQuery,
    response: {
      status: 200,
      description: `Metrics for the operations console's charts over the last \`minutes\` whole minutes (the current one included): the organisation's events per minute by type and its emails sent and failed per minute, counted from the event index (up to ${MAX_METRIC_EVENTS_READ.toLocaleString('en')} events a request; \`truncated\` says the window held more), and each function's invocations, errors and p50/p99 duration in milliseconds from CloudWatch (AWS/Lambda). The functions serve every organisation: their numbers are account-wide, not the caller's organisation's.`,
      schema: Metrics,
    },
    handle: async ({ caller, query }) => {
      const end = Math.floor(Date.now() / MINUTE_MS) * MINUTE_MS + MINUTE_MS;
      const start = end - query.minutes * MINUTE_MS;
      const [{ byType, truncated }, functions] = await Promise.all([
        countEvents(caller.orgId, start, query.minutes),
        functionMetrics(start, end),
      ]);
      const series = [...byType.entries()]
        .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
        .map(([type, counts]) => ({ type, counts }));
      const zeros = () => new Array<number>(query.minutes).fill(0);
      return reply.ok({
        window: { start: ISO_MINUTE(start), end: ISO_MINUTE(end), minutes: query.minutes },
        events: {
          minutes: Array.from({ length: query.minutes }, (_, i) => ISO_MINUTE(start + i * MINUTE_MS)),
          series,
          total: series.reduce((all, s) => all + s.counts.reduce((a, b) => a + b, 0), 0),
          truncated,
        },
        emails: {
          sent: byType.get(NotificationSent.type) ?? zeros(),
          failed: byType.get(NotificationFailed.type) ?? zeros(),
        },
        functions,
      });
    },
  }),
];
