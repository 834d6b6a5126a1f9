import type { Context } from 'aws-lambda';
import { decodeTime } from 'ulid';
import type { EventOfType, PipelineEvent } from '../events/catalog.ts';
import * as E from '../events/catalog.ts';
import { deterministicEventId } from '../events/envelope.ts';
import { NotFoundError } from '../shared/domain/errors.ts';
import { composeEmail } from '../shared/mail/compose.ts';
import { NOBODY, notificationContext, refKey, reportedRecipients } from '../shared/mail/facts.ts';
import { mailTags } from '../shared/mail/feedback.ts';
import { type Recipient, resolveRecipients } from '../shared/mail/recipients.ts';
import { reportPath, reportToken } from '../shared/mail/report-link.ts';
import { idempotencyClient, oncePerRecipient, type SendOutcome } from '../shared/mail/sender.ts';
import { documentClient, processes, sesClient } from '../shared/runtime/clients.ts';
import { resources } from '../shared/runtime/environment.ts';
import { pipelineEventHandler } from '../shared/runtime/event-handler.ts';
import { Directory } from '../shared/store/directory.ts';
import { processPk } from '../shared/store/keys.ts';
import type { ProcessStore } from '../shared/store/process-store.ts';
import { topology } from './topology.ts';

const NAME = 'notifier';
const ACTOR = { kind: 'system', id: NAME } as const;
/**
 * The function's timeout: the longest an INPROGRESS send record can belong to a live invocation, when
 * the Lambda context cannot say how long this one has left.
 */
const TIMEOUT_MS = (topology.find((fn) => fn.name === NAME)?.timeoutSeconds ?? 30) * 1000;
/** Outcome events per store transaction: two items each, plus inbox and timeline of the handled event. */
export const EVENTS_PER_REPORT = 40;
const SEND_CONCURRENCY = 4;

type Requested = EventOfType<'Notification.Requested'>;

export const handler = pipelineEventHandler({
  name: NAME,
  accepts: ['Notification.Requested'],
  handle: async (event, { logger, context: lambda }) => {
    const deadline = Date.now() + remainingMs(lambda);
    const { orgId, processId } = event.metadata;
    const { notificationId, template } = event.data;
    const store = processes();
    const [stored, timeline] = await Promise.all([
      store.load(orgId, processId),
      store.timeline(orgId, processId),
    ]);
    if (!stored) throw new NotFoundError('process', processId);
    const { state } = stored;

    const context = notificationContext(state, timeline, event.data);
    const directory = new Directory(documentClient(), resources.tableName);
    const recipients = await resolveRecipients({
      state,
      audience: context.audience,
      lookup: {
        user: (userId) => directory.user(orgId, userId),
        participants: () => directory.participants(orgId, processId),
        planContacts: (planId) => directory.planContacts(orgId, processId, planId),
      },
      publicApiUrl: resources.publicApiUrl,
    });
    const reported = reportedRecipients(timeline, notificationId);
    const pending = recipients.filter((r) => !reported.has(refKey(r.ref)));

    const facts = { ...context.facts };
    if (template === 'resultsReady') {
      // The compiler writes the row in the transaction that emits Results.Compiled, so it is there.
      const link = await directory.reportLink(orgId, processId);
      if (!link) throw new NotFoundError('the report link (REPORTLINK row) of process', processId);
      const token = reportToken({ orgId, processId }, link.nonce);
      facts.reportUrl = `${resources.publicApiUrl}${reportPath(token)}`;
    }
    if (template === 'guidePublished' && context.guidePath) {
      facts.guideUrl = `${resources.publicApiUrl}${context.guidePath}`;
    }

    const send = oncePerRecipient({
      ses: sesClient(),
      configurationSet: resources.emailConfigurationSet,
      tableName: resources.tableName,
      client: idempotencyClient(),
      partition: processPk(orgId, processId),
      deadline,
    });
    const invitation =
      template === 'workshopInvitation' && context.workshop
        ? {
            ...context.workshop,
            uid: `${orgId}.${processId}.${context.workshop.workshopId}@samskapa`,
            stamp: event.metadata.occurredAt,
          }
        : undefined;

    const outcomes = await mapLimit(pending, SEND_CONCURRENCY, async (recipient) => {
      if (recipient.excluded || !recipient.address) return { recipient, outcome: undefined };
      const email = composeEmail({
        template,
        recipient: { ...recipient, address: recipient.address },
        facts,
        from: resources.emailFrom,
        ...(invitation ? { invitation } : {}),
      });
      // Ids only: SES returns them with a bounce or complaint (functions/email-feedback.ts).
      email.tags = mailTags({ orgId, processId, notificationId, template, recipient: recipient.ref });
      const outcome = await send({ notificationId, recipient: recipient.ref, email });
      return { recipient, outcome };
    });

    const emitted = outcomes.map(({ recipient, outcome }) => outcomeEvent(event, recipient, outcome));
    if (recipients.length === 0 && !reported.has(NOBODY)) {
      emitted.push(
        fact(event, NOBODY, E.NotificationFailed, {
          notificationId,
          template,
          reason: 'noAddress',
          detail: `nobody in the audience (${event.data.audience.join(', ')}) can be emailed`,
        }),
      );
    }
    const result = await reportInBatches(store, event, emitted);
    logger.info('notification handled', {
      notificationId,
      template,
      recipients: recipients.length,
      alreadyReported: reported.size,
      sent: outcomes.filter((o) => o.outcome?.outcome === 'sent').length,
      failed: emitted.length - outcomes.filter((o) => o.outcome?.outcome === 'sent').length,
      outcome: result,
    });
  },
});

/** How long this invocation has left: Lambda's own count, or the declared timeout without one. */
function remainingMs(lambda: Partial<Pick<Context, 'getRemainingTimeInMillis'>> | undefined): number {
  const remaining =
    typeof lambda?.getRemainingTimeInMillis === 'function' ? lambda.getRemainingTimeInMillis() : Number.NaN;
  return Number.isFinite(remaining) && remaining > 0 ? remaining : TIMEOUT_MS;
}

function outcomeEvent(handled: Requested, recipient: Recipient, outcome: SendOutcome | undefined) {
  const { notificationId, template } = handled.data;
  const key = refKey(recipient.ref);
  if (outcome?.outcome === 'sent') {
    return fact(handled, key, E.NotificationSent, {
      notificationId,
      template,
      recipient: recipient.ref,
      locale: recipient.locale,
      messageId: outcome.messageId,
    });
  }
  const reason = outcome ? 'rejected' : (recipient.excluded ?? 'noAddress');
  const detail =
    outcome?.outcome === 'rejected'
      ? outcome.detail
      : reason === 'unsubscribed'
        ? 'the participant has unsubscribed from emails'
        : 'no email address in the directory';
  return fact(handled, key, E.NotificationFailed, {
    notificationId,
    template,
    recipient: recipient.ref,
    reason,
    detail,
  });
}

/**
 * An outcome event whose id is derived from the notification and the recipient: the same outcome is
 * the same event, so the outbox's conditional write refuses a second one.
 */
function fact<D extends typeof E.NotificationSent | typeof E.NotificationFailed>(
  handled: Requested,
  recipientKey: string,
  definition: D,
  data: D['example'],
): PipelineEvent {
  const { metadata } = handled;
  return definition.create({
    metadata: {
      id: factId(`${handled.data.notificationId}/${recipientKey}`, decodeTime(metadata.id)),
      orgId: metadata.orgId,
      placeId: metadata.placeId,
      processId: metadata.processId,
      correlationId: metadata.correlationId,
      causationId: metadata.id,
      actor: ACTOR,
      depth: metadata.depth + 1,
    },
    data: data as never,
  }) as PipelineEvent;
}

const factId = deterministicEventId;

/**
 * The outcomes in batches that fit one transaction each; the last batch carries the handled event's
 * inbox item, so the notification counts as handled only once every outcome is recorded.
 */
async function reportInBatches(store: ProcessStore, handled: Requested, emitted: PipelineEvent[]) {
  const { orgId, processId } = handled.metadata;
  const batches: PipelineEvent[][] = [];
  for (let i = 0; i < emitted.length; i += EVENTS_PER_REPORT) {
    batches.push(emitted.slice(i, i + EVENTS_PER_REPORT));
  }
  if (batches.length === 0) batches.push([]);
  let outcome = 'committed';
  for (const [i, batch] of batches.entries()) {
    const last = i === batches.length - 1;
    const result = await store.report({ orgId, processId, emitted: batch, ...(last ? { handled } : {}) });
    outcome = result.outcome;
  }
  return outcome;
}

/**
 * Runs `work` over the items, `limit` at a time. After a failure no new item starts, the running
 * ones finish (no send is left behind unawaited), and the first error is thrown.
 */
async function mapLimit<T, R>(
  items: readonly T[],
  limit: number,
  work: (item: T) => Promise<R>,
): Promise<R[]> {
  const results: R[] = new Array(items.length);
  const errors: unknown[] = [];
  let next = 0;
  const worker = async () => {
    while (next < items.length && errors.length === 0) {
      const index = next++;
      try {
        results[index] = await work(items[index] as T);
      } catch (error) {
        errors.push(error);
      }
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
  if (errors.length) throw errors[0];
  return results;
}
