/**
 * Email feedback. SES publishes the bounces, complaints, rejects and rendering failures of the emails
 * sent with the configuration set to the default bus (on AWS forwarded onto the pipeline bus); each
 * names the email by the tags the notifier put on it (ids only). A permanent bounce, a complaint, a
 * reject or a rendering failure becomes Notification.Failed for that recipient, reported once; a
 * complaining participant also gets `unsubscribedAt`, in the same transaction. Transient bounces are
 * logged, not reported (shared/mail/feedback.ts says why).
 *
 * Idempotency: the fact's id derives from the SES message and the event type, so the same feedback,
 * however often delivered or published, is the same event; a GetItem on its timeline row finds it
 * reported, and the outbox's conditional write refuses a racing duplicate (thrown, retried, found).
 *
 * Feedback on an email the notifier did not tag is thrown, so it lands in the failure queue where an
 * operator sees it. Only feedback that is plainly not ours, from another configuration set than
 * EMAIL_CONFIGURATION_SET, is left alone (on AWS the forwarding rule already keeps it off the bus).
 */
import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import middy from '@middy/core';
import type { Context } from 'aws-lambda';
import * as z from 'zod';
import type { PipelineEvent } from '../events/catalog.ts';
import * as E from '../events/catalog.ts';
import { deterministicEventId } from '../events/envelope.ts';
import { NotFoundError } from '../shared/domain/errors.ts';
import {
  CONFIGURATION_SET_TAG,
  judgeFeedback,
  mailIdentityOf,
  SesFeedback,
} from '../shared/mail/feedback.ts';
import { documentClient, processes } from '../shared/runtime/clients.ts';
import { resources } from '../shared/runtime/environment.ts';
import { type BusEvent, loggerFor } from '../shared/runtime/event-handler.ts';
import { Directory, rows } from '../shared/store/directory.ts';
import type { RowChanges } from '../shared/store/process-store.ts';
import { EMAIL_FEEDBACK_TYPES, SES_SOURCE } from './topology.ts';

const NAME = 'emailFeedback';
const ACTOR = { kind: 'system', id: NAME } as const;

/** The EventBridge event SES publishes through a configuration set (only the fields used here). */
export const EmailFeedbackEvent = z.object({
  id: z.string().min(1),
  source: z.literal(SES_SOURCE),
  'detail-type': z.enum(EMAIL_FEEDBACK_TYPES),
  detail: SesFeedback,
});
export type EmailFeedbackEvent = z.infer<typeof EmailFeedbackEvent>;

/** Feedback that names no email of the pipeline: nobody can be told, so an operator must look. */
export class UnattributedFeedbackError extends Error {
  override readonly name = 'UnattributedFeedbackError';
}

const logger = loggerFor(NAME);

export const handler = middy<BusEvent, void, Error, Context>()
  .use(injectLambdaContext(logger, { resetKeys: true }))
  .handler(async (raw) => {
    const event = EmailFeedbackEvent.parse(raw);
    const feedback = event.detail;
    const { messageId, tags } = feedback.mail;
    // Ids only: the event also lists the addresses, which never reach a log.
    logger.appendKeys({ eventId: event.id, eventType: event['detail-type'], messageId });

    const configurationSet = tags[CONFIGURATION_SET_TAG]?.[0];
    const ours = resources.emailConfigurationSet;
    if (ours && configurationSet && configurationSet !== ours) {
      logger.info('feedback on an email of another configuration set; not ours', { configurationSet });
      return;
    }
    const named = mailIdentityOf(tags);
    if (!named.ok) {
      throw new UnattributedFeedbackError(
        `SES ${feedback.eventType} feedback (event ${event.id}) on message ${messageId} names no email ` +
          `of the pipeline: ${named.problem}`,
      );
    }
    const { orgId, processId, notificationId, template, recipient } = named.identity;
    logger.appendKeys({ processId, notificationId, recipient: `${recipient.kind}:${recipient.id}` });

    const verdict = judgeFeedback(feedback, recipient);
    if (verdict.outcome === 'ignored') {
      logger.warn('feedback is not a failure of the notification', { why: verdict.why });
      return;
    }

    const store = processes();
    const id = deterministicEventId(
      `${messageId}/${feedback.eventType}`,
      Date.parse(feedback.mail.timestamp),
    );
    if (await store.event(orgId, processId, id)) {
      logger.info('feedback already reported', { reason: verdict.reason });
      return;
    }
    const stored = await store.load(orgId, processId);
    if (!stored) throw new NotFoundError('process', processId);
    const { state } = stored;

    let changes: RowChanges | undefined;
    if (verdict.unsubscribe) {
      const directory = new Directory(documentClient(), resources.tableName);
      if (await directory.participant(orgId, processId, recipient.id)) {
        changes = { setIfAbsent: [rows.unsubscribed(orgId, processId, recipient.id, verdict.at)] };
      } else {
        logger.warn('the complaining participant is not in the directory; nothing to unsubscribe');
      }
    }
    const failed = E.NotificationFailed.create({
      metadata: {
        id,
        occurredAt: verdict.at,
        orgId,
        placeId: state.placeId,
        processId,
        correlationId: state.correlationId,
        causationId: event.id,
        actor: ACTOR,
        depth: 1,
      },
      data: { notificationId, template, recipient, reason: verdict.reason, detail: verdict.detail },
    }) as PipelineEvent;
    await store.report({ orgId, processId, emitted: [failed], ...(changes ? { rows: changes } : {}) });
    logger.info('email failure reported', { reason: verdict.reason, unsubscribed: Boolean(changes) });
  });
