/**
 * The local CloudWatch through its JSON 1.0 protocol, with the real @aws-sdk/client-cloudwatch: the
 * Lambda host's invocation records become AWS/Lambda metrics per FunctionName (and without dimensions
 * for all functions); GetMetricData answers sums, counts, averages, extremes and nearest-rank
 * percentiles per period, newest first, from StartTime rounded down to the minute up to EndTime
 * (exclusive); samples older than the retention are gone; what the endpoint does not keep is an
 * InvalidParameterValue error, an operation it does not serve an UnknownOperationException.
 */
import {
  CloudWatchClient,
  GetMetricDataCommand,
  type GetMetricDataCommandInput,
  InvalidParameterValueException,
  ListMetricsCommand,
  type MetricDataQuery,
} from '@aws-sdk/client-cloudwatch';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ManualClock } from '../../local/clock.ts';
import { type LocalCloudWatch, nearestRank, startCloudWatch } from '../../local/cloudwatch/index.ts';

const T0 = Date.parse('2026-03-02T09:00:00.000Z');
const SECOND = 1000;
const MINUTE = 60 * SECOND;
const at = (ms: number) => new Date(T0 + ms).toISOString();

let clock: ManualClock;
let cloudWatch: LocalCloudWatch;
let client: CloudWatchClient;

beforeEach(async () => {
  clock = new ManualClock(T0 + 5 * MINUTE);
  cloudWatch = await startCloudWatch({ clock });
  client = new CloudWatchClient({
    endpoint: cloudWatch.endpoint,
    region: 'eu-north-1',
    credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
  });
  // api: ten runs in the first minute (1..10 ms, the 4th threw), three in the second (100, 200, 300 ms).
  for (let i = 1; i <= 10; i++)
    cloudWatch.record({
      functionName: 'api',
      startedAt: at(i * SECOND),
      durationMs: i,
      outcome: i === 4 ? 'error' : 'success',
    });
  for (const [i, durationMs] of [100, 200, 300].entries())
    cloudWatch.record({
      functionName: 'api',
      startedAt: at(MINUTE + i * SECOND),
      durationMs,
      outcome: 'success',
    });
  // notifier: two runs in the first minute, both failed.
  for (const durationMs of [50, 70])
    cloudWatch.record({ functionName: 'notifier', startedAt: at(30 * SECOND), durationMs, outcome: 'error' });
});

afterEach(async () => {
  client?.destroy();
  await cloudWatch?.stop();
});

const lambdaQuery = (
  id: string,
  metric: string,
  stat: string,
  period: number,
  /** null: no dimensions, every function together. */
  functionName: string | null = 'api',
): MetricDataQuery => ({
  Id: id,
  MetricStat: {
    Metric: {
      Namespace: 'AWS/Lambda',
      MetricName: metric,
      Dimensions: functionName ? [{ Name: 'FunctionName', Value: functionName }] : [],
    },
    Period: period,
    Stat: stat,
  },
});

async function metricData(
  queries: MetricDataQuery[],
  window: { from?: number; to?: number } = {},
  extra: Partial<GetMetricDataCommandInput> = {},
) {
  const { MetricDataResults = [] } = await client.send(
    new GetMetricDataCommand({
      MetricDataQueries: queries,
      StartTime: new Date(T0 + (window.from ?? 0)),
      EndTime: new Date(T0 + (window.to ?? 5 * MINUTE)),
      ...extra,
    }),
  );
  return Object.fromEntries(MetricDataResults.map((result) => [result.Id, result]));
}

describe('the local CloudWatch (GetMetricData of AWS/Lambda)', () => {
  it('answers per-minute sums, counts, averages, extremes and percentiles, newest first', async () => {
    const results = await metricData([
      lambdaQuery('invocations', 'Invocations', 'Sum', 60),
      lambdaQuery('errors', 'Errors', 'Sum', 60),
      lambdaQuery('errorRate', 'Errors', 'Average', 60),
      lambdaQuery('count', 'Duration', 'SampleCount', 60),
      lambdaQuery('average', 'Duration', 'Average', 60),
      lambdaQuery('fastest', 'Duration', 'Minimum', 60),
      lambdaQuery('slowest', 'Duration', 'Maximum', 60),
      lambdaQuery('p50', 'Duration', 'p50', 60),
      lambdaQuery('p99', 'Duration', 'p99', 60),
      lambdaQuery('p90', 'Duration', 'p90.5', 60),
      lambdaQuery('throttles', 'Throttles', 'Sum', 60),
    ]);
    expect(results.invocations).toEqual({
      Id: 'invocations',
      Label: 'Invocations',
      Timestamps: [new Date(T0 + MINUTE), new Date(T0)],
      Values: [3, 10],
      StatusCode: 'Complete',
    });
    expect(results.errors?.Values).toEqual([0, 1]);
    expect(results.errorRate?.Values).toEqual([0, 0.1]);
    expect(results.count?.Values).toEqual([3, 10]);
    expect(results.average?.Values).toEqual([200, 5.5]);
    expect(results.fastest?.Values).toEqual([100, 1]);
    expect(results.slowest?.Values).toEqual([300, 10]);
    // Nearest rank: the ceil(p% of n)-th smallest. 1..10: p50 is the 5th, p99 the 10th.
    expect(results.p50?.Values).toEqual([200, 5]);
    expect(results.p99?.Values).toEqual([300, 10]);
    expect(results.p90?.Values).toEqual([300, 10]);
    expect(results.throttles?.Values).toEqual([0, 0]);
  });

  it('one period over the window; no dimensions is every function together', async () => {
    const results = await metricData([
      lambdaQuery('apiInvocations', 'Invocations', 'Sum', 300),
      lambdaQuery('apiP50', 'Duration', 'p50', 300),
      lambdaQuery('apiP99', 'Duration', 'p99', 300),
      lambdaQuery('allInvocations', 'Invocations', 'Sum', 300, null),
      lambdaQuery('allErrors', 'Errors', 'Sum', 300, null),
      lambdaQuery('notifierP50', 'Duration', 'p50', 300, 'notifier'),
      lambdaQuery('idle', 'Invocations', 'Sum', 300, 'guideBuilder'),
    ]);
    expect(results.apiInvocations?.Timestamps).toEqual([new Date(T0)]);
    expect(results.apiInvocations?.Values).toEqual([13]);
    // 1..10, 100, 200, 300: the 7th and the 13th of 13.
    expect(results.apiP50?.Values).toEqual([7]);
    expect(results.apiP99?.Values).toEqual([300]);
    expect(results.allInvocations?.Values).toEqual([15]);
    expect(results.allErrors?.Values).toEqual([3]);
    expect(results.notifierP50?.Values).toEqual([50]);
    // A function that never ran: no datapoints, as AWS answers for a metric without data.
    expect(results.idle).toMatchObject({ Timestamps: [], Values: [], StatusCode: 'Complete' });
  });

  it('rounds StartTime down to the minute, stops before EndTime, scans ascending when asked', async () => {
    const results = await metricData(
      [
        lambdaQuery('invocations', 'Invocations', 'Sum', 60),
        { ...lambdaQuery('hidden', 'Errors', 'Sum', 60), ReturnData: false },
      ],
      { from: 30 * SECOND, to: MINUTE + SECOND },
      { ScanBy: 'TimestampAscending' },
    );
    expect(Object.keys(results)).toEqual(['invocations']);
    // The first minute whole (the start rounds down to 09:00); of the second only what ran before 09:01:01.
    expect(results.invocations?.Timestamps).toEqual([new Date(T0), new Date(T0 + MINUTE)]);
    expect(results.invocations?.Values).toEqual([10, 1]);
    const seconds = await metricData([lambdaQuery('bySecond', 'Invocations', 'Sum', 5)], { to: 10 * SECOND });
    expect(seconds.bySecond?.Timestamps).toEqual([new Date(T0 + 5 * SECOND), new Date(T0)]);
    expect(seconds.bySecond?.Values).toEqual([5, 4]);
  });

  it('keeps samples for its retention only', async () => {
    clock.advance(25 * 60 * MINUTE);
    cloudWatch.record({
      functionName: 'api',
      startedAt: new Date(clock.now()).toISOString(),
      durationMs: 42,
      outcome: 'success',
    });
    const results = await metricData([lambdaQuery('invocations', 'Invocations', 'Sum', 60)], {
      to: 26 * 60 * MINUTE,
    });
    expect(results.invocations?.Values).toEqual([1]);
  });

  it('refuses what it does not keep with the SDK’s exception, and operations it does not serve', async () => {
    const refused = async (query: MetricDataQuery, window: { from?: number; to?: number } = {}) => {
      const error = await metricData([query], window).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(InvalidParameterValueException);
      expect((error as InvalidParameterValueException).$metadata.httpStatusCode).toBe(400);
      return (error as Error).message;
    };
    expect(await refused(lambdaQuery('concurrency', 'ConcurrentExecutions', 'Maximum', 60))).toMatch(
      /keeps Invocations, Errors, Duration, Throttles of AWS\/Lambda, not ConcurrentExecutions/,
    );
    const sqs = lambdaQuery('sqs', 'NumberOfMessagesSent', 'Sum', 60);
    expect(
      await refused({
        ...sqs,
        MetricStat: {
          ...sqs.MetricStat,
          Metric: { Namespace: 'AWS/SQS', MetricName: 'NumberOfMessagesSent' },
        },
      } as MetricDataQuery),
    ).toMatch(/namespace AWS\/Lambda only, not AWS\/SQS/);
    expect(await refused(lambdaQuery('median', 'Duration', 'Median', 60))).toMatch(/MetricStat.Stat/);
    expect(await refused(lambdaQuery('odd', 'Duration', 'Sum', 45))).toMatch(/MetricStat.Period/);
    expect(await refused(lambdaQuery('backwards', 'Duration', 'Sum', 60), { from: MINUTE, to: 0 })).toMatch(
      /StartTime must be less than/,
    );

    const unknown = await client
      .send(new ListMetricsCommand({ Namespace: 'AWS/Lambda' }))
      .catch((e: unknown) => e);
    expect(unknown).toMatchObject({ name: 'UnknownOperationException', $metadata: { httpStatusCode: 400 } });
  });

  it('defines a percentile as the nearest rank', () => {
    const sorted = [15, 20, 35, 40, 50];
    expect([0, 5, 30, 40, 50, 100].map((p) => nearestRank(sorted, p))).toEqual([15, 15, 20, 20, 35, 50]);
  });
});
