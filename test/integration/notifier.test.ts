/**
 * The notifier against the local runtime with the real SDK: a place written through the engine and the
 * store, its people in the directory; the emails land as .eml files in the local SES outbox, in each
 * recipient's language, once however often the notification is delivered, with links that resolve.
 */
import { PutObjectCommand } from '@aws-sdk/client-s3';
import { PutCommand } from '@aws-sdk/lib-dynamodb';
import { describe, expect, it } from 'vitest';
import * as E from '../../events/catalog.ts';
import { isEvent, type PipelineEvent } from '../../events/catalog.ts';
import { topology } from '../../functions/topology.ts';
import { listOutbox, readMessage } from '../../local/ses/index.ts';
import type { Input } from '../../shared/domain/process.ts';
import { newReportNonce } from '../../shared/mail/report-link.ts';
import { Directory, rows } from '../../shared/store/directory.ts';
import { functionOnLocalServices } from '../support/function-on-local-services.ts';
import { closeWorkshop, command, registerInterview, startCommand, summarise } from '../support/process.ts';

const ids = { orgId: 'org-jh', processId: 'proc-hede' };
const {
  cloud,
  context,
  runtime,
  busEvent,
  apply: applyTo,
} = functionOnLocalServices({
  functionName: 'notifier',
  load: () => import('../../functions/notifier.ts'),
  // The API too: the links in the emails (report, unsubscribe) open through the local gateway.
  topology: topology.filter((fn) => fn.name === 'api'),
  remainingMs: 30000,
});
const apply = (inputs: Input[]) => applyTo(ids, inputs);
const REPORT_HTML = '<!doctype html><title>Resultat för Hede</title><h1>Resultat för Hede</h1>';
const people = [
  { participantId: 'p-0', name: 'Anna Berg', email: 'anna@example.org', locale: 'en' as const },
  { participantId: 'p-1', name: 'Aino Virtanen', email: 'aino@example.fi', locale: 'fi' as const },
  { participantId: 'p-2', name: 'Olle Ström', email: 'olle@example.se', locale: 'sv' as const },
];

/** The place through results: participants registered (their personal data in the directory), a workshop. */
async function seed() {
  const { documentClient, s3Client } = await runtime();
  const directory = new Directory(documentClient(), cloud().endpoints.table);
  await directory.putUser(ids.orgId, {
    userId: 'u-facilitator-1',
    name: 'Eva Facilitator',
    email: 'eva@samskapa.example',
    locale: 'sv',
    role: 'facilitator',
  });
  const registered = people.map((p, i) =>
    command({
      type: 'registerParticipant',
      participantId: p.participantId,
      sector: (['association', 'business', 'municipality'] as const)[i] ?? 'other',
      ageGroup: 'age30to49',
      locale: p.locale,
      consent: { recording: true, contact: true },
    }),
  );
  const first = await apply([
    startCommand({ minimumInterviews: 1 }),
    ...registered,
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
  ]);
  for (const [i, p] of people.entries()) {
    await documentClient().send(
      new PutCommand({
        TableName: cloud().endpoints.table,
        Item: rows.participant(ids.orgId, {
          ...p,
          processId: ids.processId,
          sector: (['association', 'business', 'municipality'] as const)[i] ?? 'other',
          ageGroup: 'age30to49',
          consent: { recording: true, contact: true },
          unsubscribeNonce: `nonce-${p.participantId}`,
          ...(p.participantId === 'p-2' ? { unsubscribedAt: '2026-04-01T10:00:00.000Z' } : {}),
        }),
      }),
    );
  }
  const resultsStarted = first.find((e) => isEvent(e, 'Stage.Started') && e.data.stage === 'results');
  if (!resultsStarted) throw new Error('the process did not reach the results stage');
  const compiled = E.ResultsCompiled.create({
    metadata: {
      ...resultsStarted.metadata,
      causationId: resultsStarted.metadata.id,
      actor: { kind: 'system', id: 'resultsCompiler' },
    },
    data: E.ResultsCompiled.example,
  }) as PipelineEvent;
  await s3Client().send(
    new PutObjectCommand({
      Bucket: cloud().endpoints.bucket,
      Key: E.ResultsCompiled.example.reportKeys.html,
      Body: REPORT_HTML,
      ContentType: 'text/html; charset=utf-8',
    }),
  );
  const second = await apply([{ kind: 'fact', event: compiled }]);
  // What the results compiler writes with Results.Compiled: the row the report link opens.
  await documentClient().send(
    new PutCommand({
      TableName: cloud().endpoints.table,
      Item: rows.reportLink(ids.orgId, ids.processId, {
        nonce: newReportNonce(),
        keys: E.ResultsCompiled.example.reportKeys,
      }),
    }),
  );
  const requested = (template: E.Template) =>
    [...first, ...second].find(
      (e) => isEvent(e, 'Notification.Requested') && e.data.template === template,
    ) as PipelineEvent;
  return { requested };
}

const messages = async () =>
  Promise.all((await listOutbox(cloud().ses.dataDir)).map((m) => readMessage(cloud().ses.dataDir, m.id)));

describe('notifier on the local runtime', () => {
  it('emails each recipient once, in their language, with working report and unsubscribe links', async () => {
    const { requested } = await seed();
    const { handler, processes } = await runtime();
    const resultsReady = requested('resultsReady');

    await handler(busEvent(resultsReady), context);
    await handler(busEvent(resultsReady), context); // delivered twice

    const outbox = await messages();
    expect(outbox).toHaveLength(3);
    const byRecipient = Object.fromEntries(
      outbox.map((m) => [m?.to.replace(/.*<|>.*/g, '') ?? '', m] as const),
    );
    expect(Object.keys(byRecipient).sort()).toEqual([
      'aino@example.fi',
      'anna@example.org',
      'eva@samskapa.example',
    ]);
    expect(byRecipient['anna@example.org']?.subject).toBe('The results from Hede are ready');
    expect(byRecipient['aino@example.fi']?.subject).toBe('Tulokset valmiina: Hede');
    expect(byRecipient['eva@samskapa.example']?.subject).toBe('Resultaten från Hede är klara');
    expect(byRecipient['eva@samskapa.example']?.from).toBe('samskapa@samskapa.local');

    // Participants: List-Unsubscribe with the same link as in the text; the facilitator's email has none.
    const anna = byRecipient['anna@example.org'];
    expect(anna?.listUnsubscribe).toMatch(/^<http:\/\/127\.0\.0\.1:\d+\/unsubscribe\/[A-Za-z0-9_-]+>$/);
    expect(anna?.headers.find(([n]) => n === 'List-Unsubscribe-Post')?.[1]).toBe(
      'List-Unsubscribe=One-Click',
    );
    expect(anna?.text).toContain(`Unsubscribe: ${anna?.listUnsubscribe?.slice(1, -1)}`);
    expect(byRecipient['eva@samskapa.example']?.listUnsubscribe).toBeUndefined();

    // The report link is the API's stable link; it redirects to a fresh presigned GET of the local S3.
    const link = /Read the report: (\S+)/.exec(anna?.text ?? '')?.[1];
    expect(link).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/reports\/[A-Za-z0-9_-]+$/);
    const redirect = await fetch(link as string, { redirect: 'manual' });
    expect(redirect.status).toBe(302);
    expect(new URL(redirect.headers.get('location') ?? '').searchParams.get('X-Amz-Expires')).toBe('300');
    const response = await fetch(link as string);
    expect(response.status).toBe(200);
    expect(response.redirected).toBe(true);
    expect(await response.text()).toBe(REPORT_HTML);

    const timeline = await processes().timeline(ids.orgId, ids.processId);
    const { notificationId } = resultsReady.data as { notificationId: string };
    const outcomes = timeline.filter(
      (e) =>
        (isEvent(e, 'Notification.Sent') || isEvent(e, 'Notification.Failed')) &&
        e.data.notificationId === notificationId,
    );
    expect(
      outcomes.map((e) => [e.metadata.type, (e.data as { recipient?: { id: string } }).recipient?.id]).sort(),
    ).toEqual([
      ['Notification.Failed', 'p-2'],
      ['Notification.Sent', 'p-0'],
      ['Notification.Sent', 'p-1'],
      ['Notification.Sent', 'u-facilitator-1'],
    ]);
    for (const event of outcomes) expect(JSON.stringify(event)).not.toMatch(/@example|@samskapa/);

    // The workshop invitation, delivered twice at the same time: both deliveries find nothing reported
    // yet, and the per-recipient idempotency lets only one of them send (the other may be told the
    // send is in progress and fail, for Lambda to retry). Then the retry.
    const invitation = busEvent(requested('workshopInvitation'));
    await Promise.allSettled([handler(invitation, context), handler(invitation, context)]);
    await handler(invitation, context);
    const invitations = (await messages()).filter((m) => /workshop|työpajaan/.test(m?.subject ?? ''));
    expect(invitations.map((m) => m?.to.replace(/.*<|>.*/g, '')).sort()).toEqual([
      'aino@example.fi',
      'anna@example.org',
    ]);
    expect(await messages()).toHaveLength(5);
    for (const invitation of invitations) {
      expect(invitation?.attachments).toEqual([
        { filename: 'workshop.ics', contentType: 'text/calendar', sizeBytes: expect.any(Number) },
      ]);
      expect(invitation?.raw).toContain('method=REQUEST');
    }
  });
});
