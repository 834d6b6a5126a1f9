/**
 * The notifier with mocked SES and DynamoDB. The table is a small in-memory fake behind both the
 * document client (store, directory) and the low-level client (Powertools idempotency), so redelivery
 * and retries run through the real idempotency code.
 */
import {
  type AttributeValue,
  ConditionalCheckFailedException,
  DeleteItemCommand,
  DynamoDBClient,
  GetItemCommand,
  PutItemCommand,
  TransactionCanceledException,
  UpdateItemCommand,
} from '@aws-sdk/client-dynamodb';
import { SESv2Client, SendEmailCommand, type SendEmailCommandInput } from '@aws-sdk/client-sesv2';
import {
  DynamoDBDocumentClient,
  GetCommand,
  QueryCommand,
  TransactWriteCommand,
} from '@aws-sdk/lib-dynamodb';
import type { Context } from 'aws-lambda';
import { mockClient } from 'aws-sdk-client-mock';
import { beforeAll, beforeEach, describe, expect, it, vi } from 'vitest';
import * as E from '../../events/catalog.ts';
import { isEvent, type PipelineEvent } from '../../events/catalog.ts';
import { EVENTS_PER_REPORT, handler } from '../../functions/notifier.ts';
import { PIPELINE_SOURCE } from '../../functions/topology.ts';
import { NotFoundError } from '../../shared/domain/errors.ts';
import { readReportToken } from '../../shared/mail/report-link.ts';
import { MissingMailDataError } from '../../shared/mail/templates.ts';
import { type Participant, rows } from '../../shared/store/directory.ts';
import {
  closeWorkshop,
  command,
  fact,
  participant,
  proposePlan,
  registerInterview,
  run,
  startCommand,
  summarise,
  testContext,
} from '../support/process.ts';

// Loggers are created when the handler module loads: quiet them before the imports run.
vi.hoisted(() => {
  process.env.POWERTOOLS_LOG_LEVEL = 'ERROR';
});

const docs = mockClient(DynamoDBDocumentClient);
const dynamo = mockClient(DynamoDBClient);
const ses = mockClient(SESv2Client);
const context = {
  functionName: 'notifier',
  awsRequestId: 'req-1',
  getRemainingTimeInMillis: () => 30_000,
} as Context;
const ORG_PK = 'ORG#org-jh';
const PK = 'ORG#org-jh#PROC#proc-hede';

beforeAll(() => {
  Object.assign(process.env, {
    TABLE_NAME: 'samskapa-test',
    BUCKET_NAME: 'samskapa-files',
    PUBLIC_API_URL: 'https://api.samskapa.example/',
    EMAIL_FROM: 'Samskapa <noreply@samskapa.example>',
    AWS_REGION: 'eu-north-1',
    AWS_ACCESS_KEY_ID: 'AKIDEXAMPLE',
    AWS_SECRET_ACCESS_KEY: 'secret',
  });
});

// ---- an in-memory table ------------------------------------------------------------------------

type Item = Record<string, unknown>;
const table = new Map<string, Item>();
const at = (pk: unknown, sk: unknown) => `${pk}|${sk}`;

function unmarshall(value: AttributeValue): unknown {
  if (value.S !== undefined) return value.S;
  if (value.N !== undefined) return Number(value.N);
  if (value.BOOL !== undefined) return value.BOOL;
  if (value.NULL) return null;
  if (value.L) return value.L.map(unmarshall);
  if (value.M) return Object.fromEntries(Object.entries(value.M).map(([k, v]) => [k, unmarshall(v)]));
  throw new Error(`cannot unmarshall ${JSON.stringify(value)}`);
}
function marshall(value: unknown): AttributeValue {
  if (typeof value === 'string') return { S: value };
  if (typeof value === 'number') return { N: String(value) };
  if (typeof value === 'boolean') return { BOOL: value };
  if (value === null || value === undefined) return { NULL: true };
  if (Array.isArray(value)) return { L: value.map(marshall) };
  return { M: Object.fromEntries(Object.entries(value as Item).map(([k, v]) => [k, marshall(v)])) };
}
const fromRecord = (record: Record<string, AttributeValue> = {}) =>
  Object.fromEntries(Object.entries(record).map(([k, v]) => [k, unmarshall(v)])) as Item;
const toRecord = (item: Item) => Object.fromEntries(Object.entries(item).map(([k, v]) => [k, marshall(v)]));

function installTable() {
  docs.on(GetCommand).callsFake((input) => {
    const item = table.get(at(input.Key.pk, input.Key.sk));
    return item ? { Item: structuredClone(item) } : {};
  });
  docs.on(QueryCommand).callsFake((input) => {
    const pk = input.ExpressionAttributeValues[':pk'];
    const prefix = input.ExpressionAttributeValues[':prefix'];
    const items = [...table.values()]
      .filter((i) => i.pk === pk && String(i.sk).startsWith(prefix))
      .sort((a, b) => String(a.sk).localeCompare(String(b.sk)));
    return { Items: structuredClone(items) };
  });
  docs.on(TransactWriteCommand).callsFake((input) => {
    const puts = (input.TransactItems ?? []).map(
      (t: { Put: { Item: Item; ConditionExpression?: string } }) => t.Put,
    );
    const reasons = puts.map((put: { Item: Item; ConditionExpression?: string }) =>
      put.ConditionExpression === 'attribute_not_exists(pk)' && table.has(at(put.Item.pk, put.Item.sk))
        ? { Code: 'ConditionalCheckFailed' }
        : { Code: 'None' },
    );
    if (reasons.some((r: { Code: string }) => r.Code !== 'None')) {
      throw new TransactionCanceledException({
        message: 'Transaction cancelled',
        $metadata: {},
        CancellationReasons: reasons,
      });
    }
    for (const put of puts) table.set(at(put.Item.pk, put.Item.sk), structuredClone(put.Item));
    return {};
  });
  // Powertools idempotency, with the semantics of its conditional writes.
  dynamo.on(PutItemCommand).callsFake((input) => {
    const item = fromRecord(input.Item);
    const existing = table.get(at(item.pk, item.sk));
    const now = Date.now();
    const free =
      !existing ||
      (existing.expiresAt as number) < now / 1000 ||
      (existing.status === 'INPROGRESS' &&
        existing.in_progress_expiration !== undefined &&
        (existing.in_progress_expiration as number) < now);
    if (!free) {
      throw new ConditionalCheckFailedException({
        message: 'The conditional request failed',
        $metadata: {},
        Item: toRecord(existing),
      });
    }
    table.set(at(item.pk, item.sk), item);
    return {};
  });
  dynamo.on(GetItemCommand).callsFake((input) => {
    const key = fromRecord(input.Key);
    const item = table.get(at(key.pk, key.sk));
    return item ? { Item: toRecord(item) } : {};
  });
  dynamo.on(UpdateItemCommand).callsFake((input) => {
    const key = fromRecord(input.Key);
    const item = table.get(at(key.pk, key.sk)) ?? { ...key };
    const values = fromRecord(input.ExpressionAttributeValues);
    for (const assignment of String(input.UpdateExpression).replace(/^SET /, '').split(', ')) {
      const [name, value] = assignment.split(' = ') as [string, string];
      item[input.ExpressionAttributeNames?.[name] ?? name] = values[value];
    }
    table.set(at(key.pk, key.sk), item);
    return {};
  });
  dynamo.on(DeleteItemCommand).callsFake((input) => {
    const key = fromRecord(input.Key);
    table.delete(at(key.pk, key.sk));
    return {};
  });
}

// ---- a process and its people -----------------------------------------------------------------

const person = (id: string, overrides: Partial<Participant> = {}): Item => ({
  pk: PK,
  sk: `PARTICIPANT#${id}`,
  itemType: 'participant',
  participantId: id,
  processId: 'proc-hede',
  name: `Deltagare ${id}`,
  email: `${id}@example.org`,
  locale: 'sv',
  sector: 'association',
  ageGroup: 'age30to49',
  consent: { recording: true, contact: true },
  unsubscribeNonce: `nonce-${id}`,
  ...overrides,
});

/** A place through results and one approved plan, with its timeline and directory in the table. */
function seed(options: { participants?: Item[]; facilitatorInDirectory?: boolean } = {}) {
  table.clear();
  const ctx = testContext();
  const first = run(
    [
      startCommand({ minimumInterviews: 1 }),
      participant(0),
      participant(1),
      registerInterview(0),
      summarise(0),
      command({
        type: 'scheduleWorkshop',
        workshopId: 'w-1',
        startsAt: '2026-04-14T16:00:00.000Z',
        endsAt: '2026-04-14T19:00:00.000Z',
        venue: 'Hede bygdegård',
        invitees: ['p-0', 'p-1', 'p-2'],
      }),
      closeWorkshop,
    ],
    ctx,
  );
  const compiled = fact(E.ResultsCompiled, E.ResultsCompiled.example, first.state, ctx);
  const second = run(
    [compiled, proposePlan(), command({ type: 'approvePlan', planId: 'plan-1' })],
    ctx,
    first.state,
  );
  const events = [...first.events, ...(compiled.kind === 'fact' ? [compiled.event] : []), ...second.events];
  table.set(at(PK, 'STATE'), { pk: PK, sk: 'STATE', state: second.state, version: events.length });
  for (const event of events) {
    table.set(at(PK, `EVENT#${event.metadata.id}`), {
      pk: PK,
      sk: `EVENT#${event.metadata.id}`,
      itemType: 'event',
      detail: JSON.stringify(event),
    });
  }
  if (options.facilitatorInDirectory ?? true) {
    table.set(at(ORG_PK, 'USER#u-facilitator-1'), {
      pk: ORG_PK,
      sk: 'USER#u-facilitator-1',
      userId: 'u-facilitator-1',
      name: 'Eeva',
      email: 'eeva@example.fi',
      locale: 'fi',
      role: 'facilitator',
    });
  }
  const people = options.participants ?? [
    person('p-0', { locale: 'en', name: 'Anna' }),
    person('p-1', { unsubscribedAt: '2026-04-01T00:00:00.000Z' }),
    person('p-2', { erasedAt: '2026-04-02T00:00:00.000Z', name: '', email: '' }),
    person('p-3', { consent: { recording: true, contact: false } }),
  ];
  for (const p of people) table.set(at(p.pk, p.sk), p);
  table.set(at(PK, 'PLANCONTACTS#plan-1'), {
    pk: PK,
    sk: 'PLANCONTACTS#plan-1',
    planId: 'plan-1',
    owner: { name: 'Ordföranden', email: 'owner@example.org', locale: 'sv' },
    partners: [{ name: 'Kommunens kontakt', email: 'kommun@example.org', locale: 'en' }],
  });
  // Written by the results compiler with Results.Compiled: what the results email links to.
  const link = rows.reportLink('org-jh', 'proc-hede', {
    nonce: 'nonce-report',
    keys: E.ResultsCompiled.example.reportKeys,
  });
  table.set(at(link.pk, link.sk), link);
  const requested = (template: E.Template) =>
    events.find((e) => isEvent(e, 'Notification.Requested') && e.data.template === template) as PipelineEvent;
  return { events, requested };
}

const busEvent = (event: PipelineEvent) => ({
  version: '0',
  id: 'c5a0c7b6-6a77-4d7e-a0f7-7d0d5d1e2f01',
  'detail-type': event.metadata.type,
  source: PIPELINE_SOURCE,
  account: '000000000000',
  time: event.metadata.occurredAt,
  region: 'eu-north-1',
  resources: [],
  detail: event,
});

let sent: SendEmailCommandInput[] = [];
beforeEach(() => {
  docs.reset();
  dynamo.reset();
  ses.reset();
  installTable();
  sent = [];
  ses.on(SendEmailCommand).callsFake((input) => {
    sent.push(input);
    return { MessageId: `msg-${sent.length}` };
  });
});

const outcomes = (notificationId: string) =>
  [...table.values()]
    .filter((i) => i.itemType === 'outbox')
    .map((i) => JSON.parse(i.detail as string) as PipelineEvent)
    .filter(
      (e) =>
        (isEvent(e, 'Notification.Sent') || isEvent(e, 'Notification.Failed')) &&
        e.data.notificationId === notificationId,
    );
const raw = (input: SendEmailCommandInput | undefined) =>
  Buffer.from(input?.Content?.Raw?.Data ?? new Uint8Array())
    .toString('utf8')
    .replace(/\r\n[ \t]+/g, ' ');

// ---- the behaviour -----------------------------------------------------------------------------

describe('notifier', () => {
  it('emails facilitators in their language as Simple content and reports Notification.Sent by id', async () => {
    const { requested } = seed();
    const request = requested('stageCompleted');
    await handler(busEvent(request), context);

    expect(sent).toHaveLength(1);
    expect(sent[0]).toMatchObject({
      FromEmailAddress: 'Samskapa <noreply@samskapa.example>',
      Destination: { ToAddresses: ['eeva@example.fi'] },
    });
    expect(sent[0]?.Content?.Simple?.Subject?.Data).toBe('Vaihe valmis: Haastattelut (Hede)');
    expect(sent[0]?.Content?.Simple?.Body?.Text?.Data).toContain('Hei Eeva!');

    const [outcome] = outcomes((request.data as { notificationId: string }).notificationId);
    expect(outcome?.metadata).toMatchObject({
      type: 'Notification.Sent',
      causationId: request.metadata.id,
      actor: { kind: 'system', id: 'notifier' },
      depth: request.metadata.depth + 1,
    });
    expect(outcome?.data).toEqual({
      notificationId: (request.data as { notificationId: string }).notificationId,
      template: 'stageCompleted',
      recipient: { kind: 'user', id: 'u-facilitator-1' },
      locale: 'fi',
      messageId: 'msg-1',
    });
    expect(JSON.stringify(outcome)).not.toContain('@');
    expect(table.has(at(PK, `INBOX#${request.metadata.id}`))).toBe(true);
  });

  it('tags every email with ids only, and sends it with the configuration set when there is one', async () => {
    const { requested } = seed();
    const request = requested('stageCompleted');
    const notificationId = (request.data as { notificationId: string }).notificationId;
    process.env.EMAIL_CONFIGURATION_SET = 'samskapa-test';
    try {
      await handler(busEvent(request), context);
    } finally {
      delete process.env.EMAIL_CONFIGURATION_SET;
    }
    expect(sent[0]?.ConfigurationSetName).toBe('samskapa-test');
    expect(sent[0]?.EmailTags).toEqual([
      { Name: 'orgId', Value: 'org-jh' },
      { Name: 'processId', Value: 'proc-hede' },
      { Name: 'notificationId', Value: notificationId },
      { Name: 'template', Value: 'stageCompleted' },
      { Name: 'recipientKind', Value: 'user' },
      { Name: 'recipientId', Value: 'u-facilitator-1' },
    ]);
    expect(JSON.stringify(sent[0]?.EmailTags)).not.toContain('@');

    // Without a configuration set (a local setup without one) the email still goes, untracked.
    const invitation = requested('workshopInvitation');
    await handler(busEvent(invitation), context);
    expect(sent.slice(1).length).toBeGreaterThan(0);
    for (const input of sent.slice(1)) {
      expect(input.ConfigurationSetName).toBeUndefined();
      expect(input.EmailTags).toContainEqual({ Name: 'template', Value: 'workshopInvitation' });
    }
  });

  it('sends participants the results with the stable report link, an unsubscribe link and List-Unsubscribe headers', async () => {
    const { requested } = seed();
    const request = requested('resultsReady');
    const { notificationId } = request.data as { notificationId: string };
    await handler(busEvent(request), context);

    // p-0 (contact consent) and the facilitator; p-1 unsubscribed; p-2 erased and p-3 without consent get nothing.
    expect(sent.map((s) => s.Destination?.ToAddresses?.[0]).sort()).toEqual([
      'eeva@example.fi',
      'p-0@example.org',
    ]);
    const anna = sent.find((s) => s.Destination?.ToAddresses?.[0] === 'p-0@example.org');
    const mime = raw(anna);
    expect(mime).toContain('Subject: The results from Hede are ready');
    expect(mime).toMatch(/List-Unsubscribe: <https:\/\/api\.samskapa\.example\/unsubscribe\/[A-Za-z0-9_-]+>/);
    expect(mime).toContain('List-Unsubscribe-Post: List-Unsubscribe=One-Click');
    // The text part is quoted-printable: soft line breaks and =XX escapes are undone to read the link.
    const decoded = Buffer.from(anna?.Content?.Raw?.Data ?? [])
      .toString('latin1')
      .replace(/=\r\n/g, '')
      .replace(/=([0-9A-F]{2})/g, (_, hex: string) => String.fromCharCode(Number.parseInt(hex, 16)));
    const text = /Read the report: (\S+)/.exec(decoded);
    // Not a presigned URL (it would die with the signing credentials): the public API presigns per visit.
    const link = new URL(text?.[1] ?? 'http://missing');
    expect(link.origin).toBe('https://api.samskapa.example');
    const [, token = ''] = /^\/reports\/([A-Za-z0-9_-]+)$/.exec(link.pathname) ?? [];
    expect(readReportToken(token)).toEqual({
      orgId: 'org-jh',
      processId: 'proc-hede',
      nonce: 'nonce-report',
    });
    expect(link.search).toBe('');
    expect(decoded).not.toMatch(/seven days|X-Amz-/);

    const byRecipient = Object.fromEntries(
      outcomes(notificationId).map((e) => [
        (e.data as { recipient?: { id: string } }).recipient?.id,
        [e.metadata.type, (e.data as { reason?: string }).reason],
      ]),
    );
    expect(byRecipient).toEqual({
      'u-facilitator-1': ['Notification.Sent', undefined],
      'p-0': ['Notification.Sent', undefined],
      'p-1': ['Notification.Failed', 'unsubscribed'],
    });
  });

  it('invites the workshop invitees with a calendar file', async () => {
    const { requested } = seed();
    await handler(busEvent(requested('workshopInvitation')), context);
    expect(sent).toHaveLength(1);
    const mime = raw(sent[0]);
    expect(mime).toContain('Content-Type: text/calendar; charset=utf-8; method=REQUEST; name=workshop.ics');
    const base64 = /filename=workshop\.ics\s+([A-Za-z0-9+/=\s]+?)\s+----/.exec(mime)?.[1] ?? '';
    const ics = Buffer.from(base64.replace(/\s/g, ''), 'base64').toString('utf8');
    expect(ics).toContain('METHOD:REQUEST');
    expect(ics).toContain('DTSTART:20260414T160000Z');
    expect(ics).toContain('LOCATION:Hede bygdegård');
    expect(ics).toContain('UID:org-jh.proc-hede.w-1@samskapa');
  });

  it('sends nothing twice when the notification is delivered again', async () => {
    const { requested } = seed();
    const request = requested('resultsReady');
    await handler(busEvent(request), context);
    await handler(busEvent(request), context);
    expect(sent).toHaveLength(2);
    expect(outcomes((request.data as { notificationId: string }).notificationId)).toHaveLength(3);
  });

  it('rethrows SES throttling; the retry sends only to whom it has not sent, then reports each once', async () => {
    const { requested } = seed();
    const request = requested('resultsReady');
    const { notificationId } = request.data as { notificationId: string };
    let calls = 0;
    ses.on(SendEmailCommand).callsFake((input) => {
      calls++;
      if (calls === 2)
        throw Object.assign(new Error('Maximum sending rate exceeded.'), {
          name: 'TooManyRequestsException',
        });
      sent.push(input);
      return { MessageId: `msg-${sent.length}` };
    });
    await expect(handler(busEvent(request), context)).rejects.toThrow('Maximum sending rate exceeded.');
    expect(sent).toHaveLength(1);
    expect(outcomes(notificationId)).toHaveLength(0);

    await handler(busEvent(request), context);
    expect(sent.map((s) => s.Destination?.ToAddresses?.[0]).sort()).toEqual([
      'eeva@example.fi',
      'p-0@example.org',
    ]);
    expect(outcomes(notificationId).filter((e) => isEvent(e, 'Notification.Sent'))).toHaveLength(2);
  });

  it('reports a recipient SES refuses as Notification.Failed, without the address, and carries on', async () => {
    const { requested } = seed();
    const request = requested('resultsReady');
    ses.on(SendEmailCommand).callsFake((input) => {
      if (input.Destination?.ToAddresses?.[0] === 'p-0@example.org') {
        throw Object.assign(new Error('Email address is not verified: p-0@example.org'), {
          name: 'MessageRejected',
        });
      }
      sent.push(input);
      return { MessageId: 'msg-ok' };
    });
    await handler(busEvent(request), context);
    const failed = outcomes((request.data as { notificationId: string }).notificationId).find(
      (e) => isEvent(e, 'Notification.Failed') && e.data.recipient?.id === 'p-0',
    );
    expect(failed?.data).toMatchObject({
      reason: 'rejected',
      detail: 'MessageRejected: Email address is not verified: <address>',
    });
    expect(sent).toHaveLength(1);
  });

  it('emails the plan owner and partners of the approved plan, each in their language, as planContact recipients', async () => {
    const { requested } = seed();
    const request = requested('planApproved');
    await handler(busEvent(request), context);
    const subjects = Object.fromEntries(
      sent.map((s) => [s.Destination?.ToAddresses?.[0], s.Content?.Simple?.Subject?.Data]),
    );
    expect(subjects).toEqual({
      'owner@example.org': 'Planen ”Ny brygga” är godkänd',
      'kommun@example.org': 'The plan “Ny brygga” is approved',
    });
    const recipients = outcomes((request.data as { notificationId: string }).notificationId).map(
      (e) => (e.data as { recipient: { kind: string; id: string } }).recipient,
    );
    expect(recipients.sort((a, b) => a.id.localeCompare(b.id))).toEqual([
      { kind: 'planContact', id: 'plan-1-owner' },
      { kind: 'planContact', id: 'plan-1-partner-1' },
    ]);
  });

  it('tells the assignee of a task, not every facilitator', async () => {
    const { requested } = seed();
    await handler(busEvent(requested('taskAssigned')), context);
    expect(sent).toHaveLength(1);
    expect(sent[0]?.Content?.Simple?.Subject?.Data).toMatch(/^Uusi tehtävä: /);
  });

  it('reports who cannot be reached: a user missing from the directory, or nobody at all', async () => {
    const { requested } = seed({ facilitatorInDirectory: false, participants: [] });
    const stage = requested('stageCompleted');
    await handler(busEvent(stage), context);
    expect(outcomes((stage.data as { notificationId: string }).notificationId).map((e) => e.data)).toEqual([
      expect.objectContaining({ reason: 'noAddress', recipient: { kind: 'user', id: 'u-facilitator-1' } }),
    ]);

    const invitation = requested('workshopInvitation');
    await handler(busEvent(invitation), context);
    const [nobody] = outcomes((invitation.data as { notificationId: string }).notificationId);
    expect(nobody?.data).toMatchObject({ reason: 'noAddress', detail: expect.stringContaining('nobody') });
    expect(nobody?.data).not.toHaveProperty('recipient');
    expect(sent).toHaveLength(0);
  });

  it('reports many recipients in several transactions, the inbox item in the last', async () => {
    const many = Array.from({ length: EVENTS_PER_REPORT + 5 }, (_, i) => person(`q-${i}`));
    const { requested } = seed({ participants: many });
    const request = requested('resultsReady');
    await handler(busEvent(request), context);
    const transactions = docs
      .commandCalls(TransactWriteCommand)
      .map((c) => c.args[0].input.TransactItems ?? []);
    expect(transactions).toHaveLength(2);
    for (const items of transactions) expect(items.length).toBeLessThanOrEqual(100);
    expect(transactions[0]?.some((i) => String(i.Put?.Item?.sk).startsWith('INBOX#'))).toBe(false);
    expect(transactions[1]?.some((i) => String(i.Put?.Item?.sk).startsWith('INBOX#'))).toBe(true);
    expect(outcomes((request.data as { notificationId: string }).notificationId)).toHaveLength(
      EVENTS_PER_REPORT + 6,
    );
  });

  it('sends nothing when the email would miss a fact, and throws so the event is retried', async () => {
    const { requested } = seed();
    const request = requested('planApproved');
    for (const [key, item] of table) {
      if (item.itemType === 'event' && String(item.detail).includes('"Plan.Proposed"')) table.delete(key);
    }
    await expect(handler(busEvent(request), context)).rejects.toThrow(MissingMailDataError);
    expect(sent).toHaveLength(0);
  });

  it('sends no results email without the report-link row, and says which row is missing', async () => {
    const { requested } = seed();
    table.delete(at(PK, 'REPORTLINK'));
    const failure = handler(busEvent(requested('resultsReady')), context);
    await expect(failure).rejects.toThrow(NotFoundError);
    await expect(failure).rejects.toThrow(
      'the report link (REPORTLINK row) of process proc-hede was not found',
    );
    expect(sent).toHaveLength(0);
  });

  it('leases each send for the time Lambda says the invocation has left, or the declared timeout', async () => {
    const { requested } = seed();
    const leases = () =>
      dynamo
        .commandCalls(PutItemCommand)
        .map((c) => Number(c.args[0].input.Item?.in_progress_expiration?.N))
        .filter((n) => Number.isFinite(n));
    const before = Date.now();
    await handler(busEvent(requested('stageCompleted')), {
      ...context,
      getRemainingTimeInMillis: () => 5_000,
    });
    const [short] = leases();
    expect(short).toBeGreaterThanOrEqual(before + 4_000);
    expect(short).toBeLessThanOrEqual(Date.now() + 5_000);

    dynamo.resetHistory();
    const { getRemainingTimeInMillis: _, ...withoutClock } = context;
    const start = Date.now();
    await handler(busEvent(requested('taskAssigned')), withoutClock as Context);
    const [declared] = leases();
    expect(declared).toBeGreaterThanOrEqual(start + 29_000);
    expect(declared).toBeLessThanOrEqual(Date.now() + 30_000);
  });
});
