/**
 * CloudWatch metrics for the local functions: GetMetricData through the CloudWatch JSON protocol
 * (AWS JSON 1.0, `POST /`, `X-Amz-Target: GraniteServiceVersion20100801.GetMetricData`, what
 * @aws-sdk/client-cloudwatch v3 speaks), so the operations routes read the same AWS/Lambda metrics
 * here as on AWS (`AWS_ENDPOINT_URL_CLOUDWATCH`).
 *
 * The Lambda host's invocation records feed it (`record`): each run is one sample of `Invocations`
 * (1), `Errors` (1 when the handler threw or timed out, else 0, so Average is the error rate),
 * `Duration` (its milliseconds) and `Throttles` (always 0: the host queues work instead of
 * throttling), in namespace `AWS/Lambda`, with the dimension `FunctionName` (the topology's name) and,
 * as Lambda does, without dimensions for every function together. Samples live in memory on the
 * runtime's clock, the last `retentionMs` (24 h) and at most `maxSamples` per function.
 *
 * Statistics: SampleCount, Sum, Average, Minimum, Maximum and percentiles `pNN` (p0 to p100, decimals
 * allowed). A percentile is the nearest rank: the smallest sample with at least NN% of the samples at
 * or below it (CloudWatch estimates its percentiles; with few samples they agree). Datapoints are
 * periods from StartTime (rounded down to the minute for periods of a minute or more, to the second
 * below) up to EndTime (exclusive); a period without samples has no datapoint; newest first unless
 * ScanBy is TimestampAscending. Unlike AWS, which answers an empty result for a metric nobody
 * publishes, a namespace or metric this endpoint does not keep is an InvalidParameterValue error, so a
 * typo shows; a function without invocations is an empty result, as on AWS.
 */
import { awsJsonHandler } from '../aws-json-endpoint.ts';
import { type Clock, systemClock } from '../clock.ts';
import type { InvocationRecord } from '../lambda/host.ts';
import { serveOnLoopback } from '../loopback-server.ts';

export const LAMBDA_NAMESPACE = 'AWS/Lambda';
export const LAMBDA_METRICS = ['Invocations', 'Errors', 'Duration', 'Throttles'] as const;
type LambdaMetric = (typeof LAMBDA_METRICS)[number];

const TARGET_PREFIX = 'GraniteServiceVersion20100801.';
const MAX_REQUEST_BYTES = 1024 * 1024;
const MAX_QUERIES = 500;
const DAY_MS = 24 * 60 * 60 * 1000;

export interface StartCloudWatchOptions {
  port?: number;
  clock?: Clock;
  /** How long samples are kept; 24 h by default. */
  retentionMs?: number;
  /** The most samples kept per function (the oldest go first); 100,000 by default. */
  maxSamples?: number;
  log?: (message: string) => void;
}

export interface LocalCloudWatch {
  endpoint: string;
  /** One run of a function, as the Lambda host reports it. */
  record(invocation: Pick<InvocationRecord, 'functionName' | 'startedAt' | 'durationMs' | 'outcome'>): void;
  stop(): Promise<void>;
}

/** A CloudWatch error: `name` is the shape the SDK maps to its exception class; `queryCode` its awsQuery code. */
export class CloudWatchError extends Error {
  /** For modelled errors only: the SDK names any error by it. */
  readonly queryCode: string | undefined;
  readonly statusCode: number;

  constructor(name: string, message: string, queryCode?: string, statusCode = 400) {
    super(message);
    this.name = name;
    this.queryCode = queryCode;
    this.statusCode = statusCode;
  }
}

const invalid = (message: string) =>
  new CloudWatchError('InvalidParameterValueException', message, 'InvalidParameterValue');
const missing = (parameter: string) =>
  new CloudWatchError(
    'MissingRequiredParameterException',
    `The parameter ${parameter} is required.`,
    'MissingParameter',
  );

interface Sample {
  /** Epoch milliseconds on the runtime's clock. */
  at: number;
  durationMs: number;
  error: boolean;
}

type Input = Record<string, unknown>;

/** The nearest-rank percentile of ascending `sorted` (not empty): p in [0, 100]. */
export function nearestRank(sorted: readonly number[], p: number): number {
  const rank = Math.max(1, Math.ceil((p / 100) * sorted.length));
  return sorted[rank - 1] as number;
}

const PERCENTILE = /^p(\d{1,2}(\.\d+)?|100(\.0+)?)$/;

function statistic(stat: string): (values: number[]) => number {
  switch (stat) {
    case 'SampleCount':
      return (values) => values.length;
    case 'Sum':
      return (values) => values.reduce((a, b) => a + b, 0);
    case 'Average':
      return (values) => values.reduce((a, b) => a + b, 0) / values.length;
    case 'Minimum':
      return (values) => values.reduce((a, b) => Math.min(a, b));
    case 'Maximum':
      return (values) => values.reduce((a, b) => Math.max(a, b));
  }
  if (PERCENTILE.test(stat)) {
    const p = Number(stat.slice(1));
    return (values) =>
      nearestRank(
        [...values].sort((a, b) => a - b),
        p,
      );
  }
  throw invalid(
    `The value ${stat} for parameter MetricStat.Stat is not valid: SampleCount, Sum, Average, Minimum, Maximum or a percentile pNN.`,
  );
}

function sampleValue(metric: LambdaMetric, sample: Sample): number {
  switch (metric) {
    case 'Invocations':
      return 1;
    case 'Errors':
      return sample.error ? 1 : 0;
    case 'Duration':
      return sample.durationMs;
    case 'Throttles':
      return 0;
  }
}

class MetricsCore {
  readonly #clock: Clock;
  readonly #retentionMs: number;
  readonly #maxSamples: number;
  /** Function name -> its samples in the order they were recorded. */
  readonly #samples = new Map<string, Sample[]>();

  constructor(options: StartCloudWatchOptions) {
    this.#clock = options.clock ?? systemClock;
    this.#retentionMs = options.retentionMs ?? DAY_MS;
    this.#maxSamples = options.maxSamples ?? 100_000;
  }

  record(invocation: Pick<InvocationRecord, 'functionName' | 'startedAt' | 'durationMs' | 'outcome'>): void {
    const at = Date.parse(invocation.startedAt);
    const samples = this.#samples.get(invocation.functionName) ?? [];
    this.#samples.set(invocation.functionName, samples);
    samples.push({
      at: Number.isFinite(at) ? at : this.#clock.now(),
      durationMs: invocation.durationMs,
      error: invocation.outcome === 'error',
    });
    // Records arrive in about the order the runs started: the oldest sit in front.
    const cutoff = this.#clock.now() - this.#retentionMs;
    let drop = Math.max(0, samples.length - this.#maxSamples);
    while (drop < samples.length && (samples[drop] as Sample).at < cutoff) drop++;
    if (drop > 0) samples.splice(0, drop);
  }

  call(operation: string, input: Input): unknown {
    if (operation === 'GetMetricData') return this.getMetricData(input);
    throw new CloudWatchError(
      'UnknownOperationException',
      `${operation || '(no X-Amz-Target)'} is not supported by the local CloudWatch: GetMetricData of the functions' AWS/Lambda metrics is served.`,
    );
  }

  getMetricData(input: Input): unknown {
    const queries = input.MetricDataQueries;
    if (queries === undefined || queries === null) throw missing('MetricDataQueries');
    if (!Array.isArray(queries) || queries.length === 0 || queries.length > MAX_QUERIES)
      throw invalid(`MetricDataQueries must hold 1 to ${MAX_QUERIES} queries.`);
    const start = timestamp(input, 'StartTime');
    const end = timestamp(input, 'EndTime');
    if (start >= end) throw invalid('The parameter StartTime must be less than the parameter EndTime.');
    const scanBy = input.ScanBy ?? 'TimestampDescending';
    if (scanBy !== 'TimestampDescending' && scanBy !== 'TimestampAscending')
      throw invalid(`The value ${String(scanBy)} for parameter ScanBy is not valid.`);

    const ids = new Set<string>();
    const results: unknown[] = [];
    for (const [i, raw] of queries.entries()) {
      const query = object(raw, `MetricDataQueries.member.${i + 1}`);
      const id = query.Id;
      if (typeof id !== 'string' || !/^[a-z][a-zA-Z0-9_]{0,254}$/.test(id))
        throw invalid(
          `The value ${String(id)} for parameter MetricDataQueries.member.${i + 1}.Id is not valid: it starts with a lowercase letter, then letters, digits and underscores.`,
        );
      if (ids.has(id))
        throw invalid(`The value ${id} for parameter MetricDataQueries.member.Id is not unique.`);
      ids.add(id);
      if (query.Expression !== undefined)
        throw invalid(`Query ${id}: metric math (Expression) is not supported by the local CloudWatch.`);
      const stat = object(query.MetricStat ?? missingIn(id, 'MetricStat'), `${id}.MetricStat`);
      const metric = object(stat.Metric ?? missingIn(id, 'MetricStat.Metric'), `${id}.MetricStat.Metric`);
      if (metric.Namespace !== LAMBDA_NAMESPACE)
        throw invalid(
          `Query ${id}: the local CloudWatch keeps the namespace ${LAMBDA_NAMESPACE} only, not ${String(metric.Namespace)}.`,
        );
      const name = metric.MetricName;
      if (!LAMBDA_METRICS.includes(name as LambdaMetric))
        throw invalid(
          `Query ${id}: the local CloudWatch keeps ${LAMBDA_METRICS.join(', ')} of ${LAMBDA_NAMESPACE}, not ${String(name)}.`,
        );
      const period = stat.Period;
      if (
        typeof period !== 'number' ||
        !Number.isInteger(period) ||
        period <= 0 ||
        (period >= 60 ? period % 60 !== 0 : ![1, 5, 10, 20, 30].includes(period))
      )
        throw invalid(
          `Query ${id}: the value ${String(period)} for parameter MetricStat.Period is not valid: 1, 5, 10, 20, 30 or a multiple of 60.`,
        );
      if (typeof stat.Stat !== 'string') throw missingIn(id, 'MetricStat.Stat');
      const compute = statistic(stat.Stat);
      const label = typeof query.Label === 'string' ? query.Label : String(name);
      const datapoints = this.#datapoints(
        this.#select(metric.Dimensions, id),
        name as LambdaMetric,
        start,
        end,
        period,
        compute,
      );
      if (scanBy === 'TimestampDescending') datapoints.reverse();
      if (query.ReturnData === false) continue;
      results.push({
        Id: id,
        Label: label,
        Timestamps: datapoints.map(([at]) => at / 1000),
        Values: datapoints.map(([, value]) => value),
        StatusCode: 'Complete',
      });
    }
    return { MetricDataResults: results, Messages: [] };
  }

  /** The samples a metric's dimensions name: one function's (FunctionName), or every function's (none). */
  #select(dimensions: unknown, id: string): Sample[] {
    const list = dimensions === undefined || dimensions === null ? [] : dimensions;
    if (!Array.isArray(list)) throw invalid(`Query ${id}: Dimensions must be a list.`);
    if (list.length === 0) return [...this.#samples.values()].flat();
    const dimension = object(list[0], `${id}.Dimensions.member.1`);
    // Lambda publishes other dimension sets (Resource, ExecutedVersion) that nothing here records.
    if (list.length > 1 || dimension.Name !== 'FunctionName') return [];
    return this.#samples.get(String(dimension.Value)) ?? [];
  }

  /** [period start in ms, statistic] for each period of [start, end) with samples, oldest first. */
  #datapoints(
    samples: Sample[],
    metric: LambdaMetric,
    startMs: number,
    endMs: number,
    period: number,
    compute: (values: number[]) => number,
  ): [number, number][] {
    const step = period * 1000;
    const from = period >= 60 ? Math.floor(startMs / 60_000) * 60_000 : Math.floor(startMs / 1000) * 1000;
    // A function that stopped running keeps its old samples until it runs again: past the retention, unseen.
    const kept = Math.max(from, this.#clock.now() - this.#retentionMs);
    const buckets = new Map<number, number[]>();
    for (const sample of samples) {
      if (sample.at < kept || sample.at >= endMs) continue;
      const at = from + Math.floor((sample.at - from) / step) * step;
      const values = buckets.get(at) ?? [];
      buckets.set(at, values);
      values.push(sampleValue(metric, sample));
    }
    return [...buckets.entries()].sort(([a], [b]) => a - b).map(([at, values]) => [at, compute(values)]);
  }
}

function object(value: unknown, where: string): Input {
  if (typeof value !== 'object' || value === null || Array.isArray(value))
    throw invalid(`${where} must be an object.`);
  return value as Input;
}

function missingIn(id: string, parameter: string): never {
  throw missing(`MetricDataQueries (${id}).${parameter}`);
}

/** A JSON 1.0 timestamp: epoch seconds (fractions allowed), as the SDK sends them. */
function timestamp(input: Input, name: string): number {
  const value = input[name];
  if (value === undefined || value === null) throw missing(name);
  if (typeof value !== 'number' || !Number.isFinite(value))
    throw invalid(`The value for parameter ${name} must be a timestamp (epoch seconds).`);
  return value * 1000;
}

export async function startCloudWatch(options: StartCloudWatchOptions = {}): Promise<LocalCloudWatch> {
  const core = new MetricsCore(options);
  const log = options.log ?? (() => {});

  const handle = awsJsonHandler({
    targetPrefix: TARGET_PREFIX,
    namespace: 'com.amazonaws.cloudwatch',
    maxRequestBytes: MAX_REQUEST_BYTES,
    isServiceError: (error) => error instanceof CloudWatchError,
    unknownOperation: (message) => new CloudWatchError('UnknownOperationException', message),
    invalidInput: invalid,
    call: (operation, input) => core.call(operation, input),
  });

  const { server, port } = await serveOnLoopback(handle, {
    ...(options.port ? { port: options.port } : {}),
    log: (message) => log(`CloudWatch: ${message}`),
  });

  let stopped: Promise<void> | undefined;
  return {
    endpoint: `http://127.0.0.1:${port}`,
    record: (invocation) => core.record(invocation),
    stop() {
      stopped ??= new Promise<void>((done) => {
        server.close(() => done());
        server.closeAllConnections();
      });
      return stopped;
    },
  };
}
