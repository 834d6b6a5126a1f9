/**
 * Email feedback with a mocked table: SES's bounce and complaint events, as EventBridge delivers them,
 * become Notification.Failed for the tagged recipient, once; a complaining participant is unsubscribed
 * in the same transaction; feedback that names no email of the pipeline is an error, not a shrug.
 */
import { TransactionCanceledException } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient, GetCommand, TransactWriteCommand } from '@aws-sdk/lib-dynamodb';
import type { Context } from 'aws-lambda';
import { mockClient } from 'aws-sdk-client-mock';
import { decodeTime } from 'ulid';
import { beforeAll, beforeEach, describe, expect, it, vi } from 'vitest';
import { isEvent, type PipelineEvent } from '../../events/catalog.ts';
import { handler, UnattributedFeedbackError } from '../../functions/email-feedback.ts';
import { NotFoundError } from '../../shared/domain/errors.ts';
import { mailTags } from '../../shared/mail/feedback.ts';
import { rows } from '../../shared/store/directory.ts';
import { participant, run, startCommand, testContext } from '../support/process.ts';

vi.hoisted(() => {
  process.env.POWERTOOLS_LOG_LEVEL = 'ERROR';
});

const docs = mockClient(DynamoDBDocumentClient);
const context = { functionName: 'emailFeedback', awsRequestId: 'req-1' } as Context;
const PK = 'ORG#org-jh#PROC#proc-hede';
const CONFIGURATION_SET = 'samskapa-test';

beforeAll(() => {
  Object.assign(process.env, {
    TABLE_NAME: 'samskapa-test',
    EMAIL_CONFIGURATION_SET: CONFIGURATION_SET,
    AWS_REGION: 'eu-north-1',
    AWS_ACCESS_KEY_ID: 'AKIDEXAMPLE',
    AWS_SECRET_ACCESS_KEY: 'secret',
  });
});

// ---- an in-memory table: GetItem and TransactWriteItems with the conditions the store uses --------

type Item = Record<string, unknown>;
const table = new Map<string, Item>();
const at = (pk: unknown, sk: unknown) => `${pk}|${sk}`;
let transactions = 0;

type Transact = {
  Put?: { Item: Item; ConditionExpression?: string };
  Update?: {
    Key: { pk: string; sk: string };
    UpdateExpression: string;
    ConditionExpression?: string;
    ExpressionAttributeNames: Record<string, string>;
    ExpressionAttributeValues: Record<string, unknown>;
  };
};

function installTable() {
  docs.on(GetCommand).callsFake((input) => {
    const item = table.get(at(input.Key.pk, input.Key.sk));
    return item ? { Item: structuredClone(item) } : {};
  });
  docs.on(TransactWriteCommand).callsFake((input) => {
    transactions++;
    const items = (input.TransactItems ?? []) as Transact[];
    const reasons = items.map(({ Put, Update }) => {
      if (Put?.ConditionExpression === 'attribute_not_exists(pk)' && table.has(at(Put.Item.pk, Put.Item.sk)))
        return { Code: 'ConditionalCheckFailed' };
      if (
        Update?.ConditionExpression === 'attribute_exists(pk)' &&
        !table.has(at(Update.Key.pk, Update.Key.sk))
      )
        return { Code: 'ConditionalCheckFailed' };
      return { Code: 'None' };
    });
    if (reasons.some((r) => r.Code !== 'None')) {
      throw new TransactionCanceledException({
        message: 'Transaction cancelled',
        $metadata: {},
        CancellationReasons: reasons,
      });
    }
    for (const { Put, Update } of items) {
      if (Put) table.set(at(Put.Item.pk, Put.Item.sk), structuredClone(Put.Item));
      if (Update) {
        const row = table.get(at(Update.Key.pk, Update.Key.sk)) as Item;
        // SET #a0 = if_not_exists(#a0, :a0), ...
        for (const [, name, value] of Update.UpdateExpression.matchAll(
          /(#a\d+) = if_not_exists\(#a\d+, (:a\d+)\)/g,
        )) {
          const attribute = Update.ExpressionAttributeNames[name as string] as string;
          row[attribute] ??= Update.ExpressionAttributeValues[value as string];
        }
      }
    }
    return {};
  });
}

const reported = () =>
  [...table.values()]
    .filter((i) => i.itemType === 'outbox')
    .map((i) => JSON.parse(i.detail as string) as PipelineEvent);

/** A started process with two participants, and p-0's row in the directory. */
function seed() {
  table.clear();
  const { state } = run([startCommand(), participant(0), participant(1)], testContext());
  table.set(at(PK, 'STATE'), { pk: PK, sk: 'STATE', state, version: 3 });
  const row = rows.participant('org-jh', {
    participantId: 'p-0',
    processId: 'proc-hede',
    name: 'Anna Berg',
    email: 'anna@example.org',
    locale: 'sv',
    sector: 'association',
    ageGroup: 'age30to49',
    consent: { recording: true, contact: true },
    unsubscribeNonce: 'nonce-p-0',
  });
  table.set(at(row.pk, row.sk), row);
  return state;
}

// ---- SES's events, as the configuration set publishes them to EventBridge -----------------------

const SENT_AT = '2026-04-14T08:30:00.000Z';
const MESSAGE_ID = '0100019d8a1b2c3d-0f6c6a52-7c2e-4b9e-9d5a-3f1e2d4c5b6a-000000';

const tagsOf = (
  recipient: { kind: 'participant' | 'user' | 'planContact'; id: string },
  configurationSet = CONFIGURATION_SET,
) => ({
  'ses:configuration-set': [configurationSet],
  'ses:from-domain': ['samskapa.example'],
  'ses:caller-identity': ['samskapa-dev-notifier'],
  ...Object.fromEntries(
    Object.entries(
      mailTags({
        orgId: 'org-jh',
        processId: 'proc-hede',
        notificationId: 'n-invite-1',
        template: 'workshopInvitation',
        recipient,
      }),
    ).map(([name, value]) => [name, [value]]),
  ),
});

const mail = (tags: Record<string, string[]>) => ({
  timestamp: SENT_AT,
  source: 'Samskapa <noreply@samskapa.example>',
  sourceArn: 'arn:aws:ses:eu-north-1:123456789012:identity/samskapa.example',
  sendingAccountId: '123456789012',
  messageId: MESSAGE_ID,
  destination: ['anna@example.org'],
  headersTruncated: false,
  tags,
});

const sesEvent = (
  detailType: string,
  detail: Record<string, unknown>,
  id = 'b7f3c1e2-0000-4000-8000-000000000001',
) => ({
  version: '0',
  id,
  'detail-type': detailType,
  source: 'aws.ses',
  account: '123456789012',
  time: '2026-04-14T08:30:02Z',
  region: 'eu-north-1',
  resources: [`arn:aws:ses:eu-north-1:123456789012:configuration-set/${CONFIGURATION_SET}`],
  detail,
});

const bounce = (
  bounceType: 'Permanent' | 'Transient' | 'Undetermined',
  tags: Record<string, string[]> = tagsOf({ kind: 'participant', id: 'p-0' }),
  bounceSubType = 'General',
) =>
  sesEvent('Email Bounced', {
    eventType: 'Bounce',
    bounce: {
      feedbackId: '0102019d8a1b2c3e-aaaa-000000',
      bounceType,
      bounceSubType,
      bouncedRecipients: [
        {
          emailAddress: 'anna@example.org',
          action: 'failed',
          status: '5.1.1',
          diagnosticCode: 'smtp; 550 5.1.1 <anna@example.org>: user unknown',
        },
      ],
      timestamp: '2026-04-14T08:30:01.500Z',
      reportingMTA: 'dsn; a8-96.smtp-out.amazonses.com',
    },
    mail: mail(tags),
  });

const complaint = (tags: Record<string, string[]> = tagsOf({ kind: 'participant', id: 'p-0' })) =>
  sesEvent('Email Complaint Received', {
    eventType: 'Complaint',
    complaint: {
      feedbackId: '0102019d8a1b2c3f-bbbb-000000',
      complaintSubType: null,
      complainedRecipients: [{ emailAddress: 'anna@example.org' }],
      timestamp: '2026-04-15T06:00:00.000Z',
      userAgent: 'ExampleCorp Feedback Loop (V0.01)',
      complaintFeedbackType: 'abuse',
      arrivalDate: '2026-04-14T08:30:03.000Z',
    },
    mail: mail(tags),
  });

beforeEach(() => {
  docs.reset();
  installTable();
  transactions = 0;
});

describe('emailFeedback', () => {
  it('reports a permanent bounce as Notification.Failed for the tagged recipient, without the address', async () => {
    const state = seed();
    await handler(bounce('Permanent'), context);

    const [failed, ...more] = reported();
    expect(more).toEqual([]);
    if (!failed || !isEvent(failed, 'Notification.Failed')) throw new Error('no Notification.Failed');
    expect(failed.data).toEqual({
      notificationId: 'n-invite-1',
      template: 'workshopInvitation',
      recipient: { kind: 'participant', id: 'p-0' },
      reason: 'bounced',
      detail: 'permanent bounce (General): 5.1.1 smtp; 550 5.1.1 <<address>>: user unknown',
    });
    expect(failed.metadata).toMatchObject({
      orgId: 'org-jh',
      placeId: state.placeId,
      processId: 'proc-hede',
      correlationId: state.correlationId,
      causationId: 'b7f3c1e2-0000-4000-8000-000000000001',
      actor: { kind: 'system', id: 'emailFeedback' },
      occurredAt: '2026-04-14T08:30:01.500Z',
    });
    // Ordered in the timeline by when the email was sent.
    expect(decodeTime(failed.metadata.id)).toBe(Date.parse(SENT_AT));
    expect(JSON.stringify(failed)).not.toContain('@');
  });

  it('reports a bounce once, however often it is delivered or published', async () => {
    seed();
    await handler(bounce('Permanent'), context);
    await handler(bounce('Permanent'), context);
    // SES publishing the same feedback again: a new EventBridge event id, the same fact.
    await handler({ ...bounce('Permanent'), id: 'b7f3c1e2-0000-4000-8000-000000000002' }, context);
    expect(reported()).toHaveLength(1);
    expect(transactions).toBe(1);
  });

  it('lets a racing duplicate fail on the outbox condition, so the retry finds it reported', async () => {
    seed();
    await handler(bounce('Permanent'), context);
    const [failed] = reported();
    // The other delivery wrote the outbox item between this one's check and its write.
    table.delete(at(PK, `EVENT#${failed?.metadata.id}`));
    await expect(handler(bounce('Permanent'), context)).rejects.toBeInstanceOf(TransactionCanceledException);
    expect(reported()).toHaveLength(1);
  });

  it('unsubscribes a complaining participant in the transaction that reports the complaint', async () => {
    seed();
    await handler(complaint(), context);

    const [failed] = reported();
    expect(failed?.data).toMatchObject({
      recipient: { kind: 'participant', id: 'p-0' },
      reason: 'complained',
      detail: 'the recipient marked the email as spam (abuse); the participant gets no further emails',
    });
    expect(table.get(at(PK, 'PARTICIPANT#p-0'))).toMatchObject({
      unsubscribedAt: '2026-04-15T06:00:00.000Z',
      email: 'anna@example.org',
    });
    expect(transactions).toBe(1);
    const [transaction] = docs.commandCalls(TransactWriteCommand);
    const kinds = (transaction?.args[0].input.TransactItems ?? []).map((t) => Object.keys(t)[0]);
    expect(kinds).toEqual(['Put', 'Put', 'Update']);
  });

  it('keeps the time a participant first unsubscribed', async () => {
    seed();
    const row = table.get(at(PK, 'PARTICIPANT#p-0')) as Item;
    row.unsubscribedAt = '2026-04-01T10:00:00.000Z';
    await handler(complaint(), context);
    expect(table.get(at(PK, 'PARTICIPANT#p-0'))?.unsubscribedAt).toBe('2026-04-01T10:00:00.000Z');
    expect(reported()).toHaveLength(1);
  });

  it('reports a complaint from a facilitator without touching the directory', async () => {
    seed();
    await handler(complaint(tagsOf({ kind: 'user', id: 'u-facilitator-1' })), context);
    expect(reported()[0]?.data).toMatchObject({
      recipient: { kind: 'user', id: 'u-facilitator-1' },
      reason: 'complained',
      detail: 'the recipient marked the email as spam (abuse)',
    });
    const [transaction] = docs.commandCalls(TransactWriteCommand);
    expect((transaction?.args[0].input.TransactItems ?? []).some((t) => 'Update' in t)).toBe(false);
  });

  it('reports the complaint of a participant missing from the directory without unsubscribing anyone', async () => {
    seed();
    await handler(complaint(tagsOf({ kind: 'participant', id: 'p-1' })), context);
    expect(reported()[0]?.data).toMatchObject({ recipient: { kind: 'participant', id: 'p-1' } });
    expect(table.has(at(PK, 'PARTICIPANT#p-1'))).toBe(false);
  });

  it.each(['Transient', 'Undetermined'] as const)(
    'logs a %s bounce and reports nothing: it says nothing lasting about the address',
    async (bounceType) => {
      seed();
      await handler(bounce(bounceType, undefined, 'MailboxFull'), context);
      expect(reported()).toEqual([]);
      expect(transactions).toBe(0);
    },
  );

  it('reports a reject and a rendering failure as rejected', async () => {
    seed();
    const tags = tagsOf({ kind: 'participant', id: 'p-0' });
    await handler(
      sesEvent('Email Rejected', {
        eventType: 'Reject',
        reject: { reason: 'Bad content' },
        mail: mail(tags),
      }),
      context,
    );
    await handler(
      sesEvent('Email Rendering Failed', {
        eventType: 'Rendering Failure',
        failure: { errorMessage: 'Attribute name is missing', templateName: 'invitation' },
        mail: mail(tags),
      }),
      context,
    );
    expect(reported().map((e) => e.data)).toEqual([
      expect.objectContaining({
        reason: 'rejected',
        detail: 'SES rejected the email after accepting it: Bad content',
      }),
      expect.objectContaining({
        reason: 'rejected',
        detail: 'SES could not render the email: Attribute name is missing',
      }),
    ]);
  });

  it('throws on feedback for an email the notifier did not tag, so an operator sees it', async () => {
    seed();
    const untagged = bounce('Permanent', { 'ses:configuration-set': [CONFIGURATION_SET] });
    await expect(handler(untagged, context)).rejects.toThrow(UnattributedFeedbackError);
    await expect(handler(untagged, context)).rejects.toThrow(
      `SES Bounce feedback (event b7f3c1e2-0000-4000-8000-000000000001) on message ${MESSAGE_ID} names no email of the pipeline: it carries none of the tags`,
    );
    const partial = tagsOf({ kind: 'participant', id: 'p-0' }) as Record<string, string[]>;
    delete partial.recipientId;
    await expect(handler(bounce('Permanent', partial), context)).rejects.toThrow(
      /lacks the tags recipientId/,
    );
    expect(transactions).toBe(0);
  });

  it('leaves feedback on another configuration set alone: plainly not ours', async () => {
    seed();
    await handler(
      bounce('Permanent', tagsOf({ kind: 'participant', id: 'p-0' }, 'other-application')),
      context,
    );
    expect(reported()).toEqual([]);
    expect(transactions).toBe(0);
  });

  it('throws when the tagged process does not exist', async () => {
    table.clear();
    await expect(handler(bounce('Permanent'), context)).rejects.toBeInstanceOf(NotFoundError);
  });

  it('refuses an event that is not SES feedback', async () => {
    seed();
    await expect(handler({ ...bounce('Permanent'), source: 'samskapa.pipeline' }, context)).rejects.toThrow();
    await expect(
      handler(sesEvent('Email Bounced', { eventType: 'Bounce', mail: mail({}) }), context),
    ).rejects.toThrow();
  });
});
