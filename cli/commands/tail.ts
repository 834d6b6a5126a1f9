/**
 * `samskapa tail`: the events of the organisation as they happen, like `tail -f`, from
 * GET /ops/events polled every second (the same route the console's live flow reads on AWS). One
 * line per event: time, type, place, process and key data (events carry no personal data). Each poll
 * reads the last few seconds again and skips what it printed, so an event whose transaction committed
 * after a later one (ids are taken when an event is made) is not lost.
 */
import { encodeTime } from 'ulid';
import { apiFor } from '../core/api.ts';
import { type Command, type Parsed, stringValue, targetHelp, targetOptions } from '../core/command.ts';
import { usageError } from '../core/errors.ts';
import { printable } from '../core/printable.ts';
import { resolveTarget } from '../core/target.ts';
import { keyData, type TimelineEvent } from './trace.ts';

const POLL_MS = 1000;
/** How far back each poll reads again, for events committed out of id order. */
const OVERLAP_MS = 5000;
const PAGE = 500;

export const tailCommand: Command = {
  name: 'tail',
  summary: 'Live events of the organisation, one line each, until Ctrl-C',
  usage: 'samskapa tail [--type T] [--place P] [--process ID] [--since ISO] [--data DIR | --stack NAME ...]',
  options: {
    ...targetOptions,
    type: { type: 'string' },
    place: { type: 'string' },
    process: { type: 'string' },
    since: { type: 'string' },
  },
  help: `  --type T         only events of this type, e.g. Stage.Started
  --place P        only events of this place id
  --process ID     only events of this process
  --since ISO      start from this time (default: now); e.g. 2026-11-22T06:55:00Z

Polls GET /ops/events every second and prints a line per event: time, type, place, process and
its key data (stage, ids, template; never free text). Ctrl-C stops it.

${targetHelp}

Example:
  samskapa tail --type Notification.Sent
  samskapa tail --process 01jd3z8q9w2x4y5z6a7b8c9d0e --since 2026-11-22T06:55:00Z`,
  run: runTail,
};

const lowerBound = (ms: number) => `${encodeTime(Math.max(0, ms), 10)}${'0'.repeat(16)}`;

async function runTail(args: Parsed): Promise<number> {
  const sinceText = stringValue(args, 'since');
  const since = sinceText === undefined ? Date.now() : Date.parse(sinceText);
  if (Number.isNaN(since))
    throw usageError(`--since must be a time like 2026-11-22T06:55:00Z (got ${sinceText})`);
  const filters = new URLSearchParams();
  for (const [option, name] of [
    ['type', 'type'],
    ['place', 'placeId'],
    ['process', 'processId'],
  ] as const) {
    const value = stringValue(args, option);
    if (value !== undefined) filters.set(name, value);
  }
  const target = await resolveTarget(args);
  const renewable = target.kind === 'local' && !stringValue(args, 'token') && !process.env.SAMSKAPA_TOKEN;
  let api = await apiFor(target, args, 'ops');

  const stop = () => process.exit(0);
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);

  const floor = lowerBound(since);
  let cursor = floor;
  const seen = new Map<string, number>();
  for (;;) {
    const now = Date.now();
    const overlap = lowerBound(now - OVERLAP_MS);
    let from = cursor < overlap ? cursor : overlap < floor ? floor : overlap;
    for (;;) {
      const query = new URLSearchParams(filters);
      query.set('since', from);
      query.set('limit', String(PAGE));
      let response = await api.request<{ items: TimelineEvent[]; next: string }>(
        'GET',
        `/ops/events?${query}`,
      );
      // The CLI's local token lives ten minutes: sign a new one.
      if (response.status === 401 && renewable) {
        api = await apiFor(target, args, 'ops');
        response = await api.request('GET', `/ops/events?${query}`);
      }
      if (response.status === 400 && response.problem?.errors?.length)
        throw usageError(
          `the API refused the filters: ${response.problem.errors.map((e) => `${e.path}: ${e.message}`).join('; ')}`,
        );
      if (!response.ok || !response.body) throw api.refused(response, 'the event flow (GET /ops/events)');
      for (const event of response.body.items) {
        if (seen.has(event.metadata.id)) continue;
        seen.set(event.metadata.id, now);
        process.stdout.write(`${line(event)}\n`);
      }
      const { next } = response.body;
      if (next <= from) break;
      from = next;
      if (next > cursor) cursor = next;
    }
    for (const [id, at] of seen) if (at < now - 4 * OVERLAP_MS) seen.delete(id);
    await new Promise((resolve) => setTimeout(resolve, POLL_MS));
  }
}

/** time, type, place, process, key data. */
export function line(event: TimelineEvent): string {
  const { occurredAt, type, placeId, processId } = event.metadata;
  const time = occurredAt.replace('T', ' ').replace(/Z$/, '');
  const key = keyData(event);
  return printable(
    `${time}  ${type.padEnd(26)}  ${placeId.padEnd(16)}  ${processId}${key ? `  ${key}` : ''}`,
  ).replace(/\s+$/, '');
}
