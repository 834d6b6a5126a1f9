/**
 * `samskapa dlq list|redrive`: the failure queues from GET /ops/failures (one line per failed
 * message), and their redrive to the one consumer that failed through POST
 * /ops/failures/{queue}/redrive, the routes the console's Failures view uses.
 */
import { apiFor } from '../core/api.ts';
import { type Command, type Parsed, stringValue, targetHelp, targetOptions } from '../core/command.ts';
import { CliError, usageError } from '../core/errors.ts';
import { printable } from '../core/printable.ts';
import { resolveTarget } from '../core/target.ts';

export interface FailedMessage {
  queue: string;
  messageId: string;
  function: string;
  error: { type: string; message: string };
  attempts: number;
  event: { id: string | null; type: string | null; processId: string | null; placeId: string | null };
  sentAt: string;
}
export interface FailureQueue {
  queue: string;
  kind: 'function' | 'rule' | 'other';
  function: string | null;
  depth: number;
  messages: FailedMessage[];
}
interface RedriveResult {
  queue: string;
  function: string;
  redriven: string[];
  failed: { id: string; error: string }[];
}

export const dlqCommand: Command = {
  name: 'dlq',
  summary: 'The failed messages of the failure queues; redrive them to their consumer after a fix',
  usage:
    'samskapa dlq list | samskapa dlq redrive (--all | <messageId>...) [--queue Q] [--data DIR | --stack NAME ...]',
  positionals: { min: 1, max: 50 },
  options: { ...targetOptions, all: { type: 'boolean' }, queue: { type: 'string' } },
  help: `  list             one line per failed message: queue, function, event type, process, error
  redrive --all    invoke each queue's consumer again with every failed message, then delete them
  redrive ID...    the same for the given message ids (from \`dlq list\`)
  --queue Q        only this queue, e.g. stageEngine-failures

Redrive re-invokes the one function that failed (never every rule of the event) and exits 1 if any
message could not be redriven. Queues other than a function's or a rule's (the outbox pipe's, the
scheduler's) are listed with their depth; they have no single consumer to redrive to.

${targetHelp}

Example:
  samskapa dlq list
  samskapa dlq redrive --all
  samskapa dlq redrive 3f1c2a9e-8d1b-4c8e-9f0a-2b7d6e5c4a31`,
  run: runDlq,
};

async function runDlq(args: Parsed): Promise<number> {
  const [action, ...ids] = args.positionals;
  const all = args.values.all === true;
  const only = stringValue(args, 'queue');
  if (action === 'list') {
    if (ids.length > 0 || all)
      throw usageError(`dlq list takes no ids and no --all. Usage: ${dlqCommand.usage}`);
  } else if (action === 'redrive') {
    if (all === ids.length > 0)
      throw usageError(`dlq redrive needs --all or message ids (not both). Usage: ${dlqCommand.usage}`);
  } else throw usageError(`unknown action '${action}': dlq list or dlq redrive. Usage: ${dlqCommand.usage}`);

  const api = await apiFor(await resolveTarget(args), args, 'ops');
  const { queues } = await api.get<{ queues: FailureQueue[] }>('/ops/failures');
  if (only && !queues.some((q) => q.queue === only))
    throw new CliError(
      `there is no failure queue ${only}; the queues are ${queues.map((q) => q.queue).join(', ')}`,
    );
  const chosen = queues.filter((q) => !only || q.queue === only);

  if (action === 'list') {
    const messages = chosen.flatMap((q) => q.messages);
    for (const message of messages) process.stdout.write(`${line(message)}\n`);
    for (const q of chosen.filter((q) => q.kind === 'other' && q.depth > 0))
      process.stdout.write(`${q.queue}  ${q.depth} message(s), no single consumer to redrive to\n`);
    if (messages.length === 0) process.stdout.write('No failed messages.\n');
    return 0;
  }

  // Which queue each message is in: redrive asks per queue.
  const requests = new Map<string, string[] | undefined>();
  if (all) {
    for (const q of chosen) if (q.kind !== 'other' && q.messages.length > 0) requests.set(q.queue, undefined);
  } else {
    const unknown: string[] = [];
    for (const id of ids) {
      const q = chosen.find((candidate) => candidate.messages.some((m) => m.messageId === id));
      if (q) requests.set(q.queue, [...(requests.get(q.queue) ?? []), id]);
      else unknown.push(id);
    }
    if (unknown.length > 0)
      throw new CliError(`no failed message ${unknown.join(', ')} (samskapa dlq list shows the ids)`);
  }
  if (requests.size === 0) {
    process.stdout.write('No failed messages to redrive.\n');
    return 0;
  }
  let failures = 0;
  for (const [queue, messageIds] of requests) {
    const result = await api.call<RedriveResult>(
      'POST',
      `/ops/failures/${encodeURIComponent(queue)}/redrive`,
      { json: messageIds ? { messageIds } : {} },
    );
    for (const id of result.redriven)
      process.stdout.write(`redriven  ${queue} -> ${result.function}  ${id}\n`);
    for (const { id, error } of result.failed)
      process.stderr.write(`${printable(`not redriven  ${queue}  ${id}: ${error}`)}\n`);
    failures += result.failed.length;
  }
  return failures > 0 ? 1 : 0;
}

/** queue, function, event type, process, error (never personal data: events carry none). */
export function line(message: FailedMessage): string {
  const { queue, error, event } = message;
  return printable(
    `${queue.padEnd(28)}  ${message.function.padEnd(16)}  ${(event.type ?? '-').padEnd(22)}  ${(event.processId ?? '-').padEnd(26)}  ${error.type}: ${error.message}  (${message.messageId})`,
  );
}
