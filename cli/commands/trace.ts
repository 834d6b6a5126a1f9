/**
 * `samskapa trace <processId>`: the timeline of one process (GET /processes/{id}/timeline) as a causal
 * tree: each event under the event that caused it (metadata.causationId), with its time from the
 * first event, its type and its key data (stage, ids). Events caused by something outside the
 * timeline (an API request, an upload) are grouped under that cause.
 */
import { apiFor } from '../core/api.ts';
import { type Command, type Parsed, targetHelp, targetOptions } from '../core/command.ts';
import { CliError } from '../core/errors.ts';
import { printable } from '../core/printable.ts';
import { resolveTarget } from '../core/target.ts';

export interface TimelineEvent {
  metadata: {
    id: string;
    type: string;
    version: number;
    occurredAt: string;
    placeId: string;
    processId: string;
    causationId: string;
    actor: { kind: string; id: string };
    depth?: number;
  };
  data: Record<string, unknown>;
}

export const traceCommand: Command = {
  name: 'trace',
  summary: 'The events of one process as a causal tree, with times',
  usage: 'samskapa trace <processId> [--data DIR | --stack NAME ...]',
  positionals: { min: 1, max: 1 },
  options: { ...targetOptions },
  help: `Each event is shown under the event that caused it (metadata.causationId), with the time since
the process's first event, its type and its key data (stage, ids). Events caused from outside
(an API request by a user, an S3 upload) are grouped under that cause.

${targetHelp}

Example:
  samskapa trace 01jd3z8q9w2x4y5z6a7b8c9d0e`,
  run: runTrace,
};

async function runTrace(args: Parsed): Promise<number> {
  const processId = args.positionals[0] as string;
  if (!/^[A-Za-z0-9][A-Za-z0-9_-]{0,63}$/.test(processId))
    throw new CliError(`${processId} is not a process id (letters, digits, _ and -)`, { exitCode: 2 });
  const target = await resolveTarget(args);
  const api = await apiFor(target, args, 'ops');
  const response = await api.request<{ items: TimelineEvent[] }>(
    'GET',
    `/processes/${encodeURIComponent(processId)}/timeline`,
  );
  if (response.status === 404 && response.problem?.detail)
    throw new CliError(
      `process ${processId} was not found${target.kind === 'local' ? ` in organisation ${target.org}` : ''}: \`samskapa status\` lists the processes`,
    );
  if (!response.ok || !response.body) throw api.refused(response, 'the timeline');
  console.log(renderTrace(processId, response.body.items).join('\n'));
  return 0;
}

/** The lines of the tree; pure, so it is easy to test. */
export function renderTrace(processId: string, events: readonly TimelineEvent[]): string[] {
  if (events.length === 0) return [`Process ${processId}: no events yet`];
  const first = events[0] as TimelineEvent;
  const t0 = Date.parse(first.metadata.occurredAt);
  const started = events.find((e) => e.metadata.type === 'Process.Started');
  const place = started
    ? `${printable(started.data.placeName)} (${printable(started.data.municipality)}), ${printable(started.data.method)}`
    : first.metadata.placeId;
  const last = events[events.length - 1] as TimelineEvent;
  const lines = [
    `Process ${processId}: ${place}, ${events.length} events over ${seconds(Date.parse(last.metadata.occurredAt) - t0)}, from ${first.metadata.occurredAt}`,
  ];

  const ids = new Set(events.map((e) => e.metadata.id));
  const children = new Map<string, TimelineEvent[]>();
  const roots: TimelineEvent[] = [];
  for (const event of events) {
    const cause = event.metadata.causationId;
    if (ids.has(cause) && cause !== event.metadata.id)
      children.set(cause, [...(children.get(cause) ?? []), event]);
    else roots.push(event);
  }
  const typeWidth = Math.min(28, Math.max(...events.map((e) => e.metadata.type.length)));
  const print = (event: TimelineEvent, depth: number, seen: Set<string>) => {
    if (seen.has(event.metadata.id)) return;
    seen.add(event.metadata.id);
    const offset = `+${seconds(Date.parse(event.metadata.occurredAt) - t0)}`.padStart(9);
    const key = keyData(event);
    lines.push(
      `${'  '.repeat(depth)}${offset}  ${event.metadata.type.padEnd(typeWidth)}${key ? `  ${key}` : ''}`.trimEnd(),
    );
    for (const child of children.get(event.metadata.id) ?? []) print(child, depth + 1, seen);
  };
  // Roots that share an outside cause (one API request emits several events) go under one heading.
  const seen = new Set<string>();
  let lastCause: string | undefined;
  for (const root of roots) {
    const { causationId, actor } = root.metadata;
    if (causationId !== lastCause) {
      lines.push('', `${causeLabel(actor)} · cause ${causationId}`);
      lastCause = causationId;
    }
    print(root, 1, seen);
  }
  return lines;
}

function causeLabel(actor: { kind: string; id: string }): string {
  return actor.kind === 'user' ? `request by user ${actor.id}` : `${actor.id} (system)`;
}

const seconds = (ms: number) => `${(Math.max(0, ms) / 1000).toFixed(3)}s`;

/** Stage, method, template and ids: what tells events apart, never free text. */
export function keyData(event: Pick<TimelineEvent, 'data'>): string {
  const parts: string[] = [];
  const data = event.data ?? {};
  for (const [name, value] of Object.entries(data)) {
    if (typeof value === 'string' && (name === 'stage' || name === 'method' || name === 'template'))
      parts.push(`${name}=${value}`);
    else if (typeof value === 'number' && name === 'index') parts.push(`index=${value}`);
    else if (typeof value === 'string' && /Id$/.test(name)) parts.push(`${name}=${value}`);
    else if (name === 'key' && typeof value === 'string' && !value.includes('/')) parts.push(`key=${value}`);
    else if (name === 'subject' && typeof value === 'object' && value !== null) {
      const subject = value as { kind?: unknown; id?: unknown };
      parts.push(`subject=${String(subject.kind)}:${String(subject.id)}`);
    }
  }
  return parts.join(' ');
}
