/**
 * What SES says about an email after it accepted it (pure). Every email the notifier sends carries
 * SES message tags with ids only (organisation, process, notification, template, recipient), so the
 * bounce and complaint events SES publishes through the configuration set name what failed without
 * an address. `judgeFeedback` decides what such an event means for the notification.
 */
import * as z from 'zod';
import { RecipientRef, Template } from '../../events/catalog.ts';
import { Id } from '../../events/envelope.ts';

/** The tag SES adds to every event published through a configuration set, naming that set. */
export const CONFIGURATION_SET_TAG = 'ses:configuration-set';

/** The names of the tags the notifier puts on each email (SES tag names: letters, digits, _ and -). */
export const MAIL_TAGS = {
  orgId: 'orgId',
  processId: 'processId',
  notificationId: 'notificationId',
  template: 'template',
  recipientKind: 'recipientKind',
  recipientId: 'recipientId',
} as const;

/** SES v2 MessageTag: name and value of 1-256 ASCII letters, digits, '_' and '-'. */
const SES_TAG = /^[A-Za-z0-9_-]{1,256}$/;

/** Which email of the pipeline a feedback event is about: ids only. */
export const MailIdentity = z.object({
  orgId: Id,
  processId: Id,
  notificationId: Id,
  template: Template,
  recipient: RecipientRef,
});
export type MailIdentity = z.infer<typeof MailIdentity>;

export class MailTagError extends Error {
  override readonly name = 'MailTagError';
}

/**
 * The tags of one email. Ids, templates and recipient kinds are all within SES's tag alphabet
 * (`Id` is `[A-Za-z0-9][A-Za-z0-9_-]*`), so no encoding is needed; a value outside it is a bug and
 * throws before SES would refuse the send.
 */
export function mailTags(identity: MailIdentity): Record<string, string> {
  const tags = {
    [MAIL_TAGS.orgId]: identity.orgId,
    [MAIL_TAGS.processId]: identity.processId,
    [MAIL_TAGS.notificationId]: identity.notificationId,
    [MAIL_TAGS.template]: identity.template,
    [MAIL_TAGS.recipientKind]: identity.recipient.kind,
    [MAIL_TAGS.recipientId]: identity.recipient.id,
  };
  for (const [name, value] of Object.entries(tags)) {
    if (!SES_TAG.test(value)) throw new MailTagError(`the ${name} tag value is not an SES tag value`);
  }
  return tags;
}

/** SES event tags as SES publishes them: every tag name with a list of values. */
export const SesTags = z.record(z.string(), z.array(z.string()));
export type SesTags = z.infer<typeof SesTags>;

/** The email a feedback event is about, read back from its tags; or what is missing. */
export function mailIdentityOf(
  tags: SesTags,
): { ok: true; identity: MailIdentity } | { ok: false; problem: string } {
  const one = (name: string) => tags[name]?.[0];
  const candidate = {
    orgId: one(MAIL_TAGS.orgId),
    processId: one(MAIL_TAGS.processId),
    notificationId: one(MAIL_TAGS.notificationId),
    template: one(MAIL_TAGS.template),
    recipient: { kind: one(MAIL_TAGS.recipientKind), id: one(MAIL_TAGS.recipientId) },
  };
  const parsed = MailIdentity.safeParse(candidate);
  if (parsed.success) return { ok: true, identity: parsed.data };
  const missing = Object.values(MAIL_TAGS).filter((name) => one(name) === undefined);
  return {
    ok: false,
    problem:
      missing.length === Object.keys(MAIL_TAGS).length
        ? 'it carries none of the tags the notifier puts on every email'
        : missing.length > 0
          ? `it lacks the tags ${missing.join(', ')}`
          : `its tags do not name an email of the pipeline (${parsed.error.issues.map((i) => i.path.join('.')).join(', ')})`,
  };
}

const Timestamp = z.iso.datetime();

/** The `mail` object of every SES event (the fields used here; it also lists addresses, never read). */
const SesMail = z.object({
  messageId: z.string().min(1),
  /** When the email was sent. */
  timestamp: Timestamp,
  tags: SesTags.default({}),
});

const Bounce = z.object({
  bounceType: z.enum(['Undetermined', 'Permanent', 'Transient']),
  bounceSubType: z.string(),
  bouncedRecipients: z
    .array(z.object({ status: z.string().optional(), diagnosticCode: z.string().optional() }))
    .default([]),
  timestamp: Timestamp,
  feedbackId: z.string(),
});

const Complaint = z.object({
  complaintFeedbackType: z.string().optional(),
  complaintSubType: z.string().nullish(),
  timestamp: Timestamp,
  feedbackId: z.string(),
});

/**
 * The `detail` of the SES events the configuration set publishes to EventBridge (the same record SES
 * publishes to SNS or Firehose through event publishing), for the four failure types.
 */
export const SesFeedback = z.discriminatedUnion('eventType', [
  z.object({ eventType: z.literal('Bounce'), mail: SesMail, bounce: Bounce }),
  z.object({ eventType: z.literal('Complaint'), mail: SesMail, complaint: Complaint }),
  z.object({ eventType: z.literal('Reject'), mail: SesMail, reject: z.object({ reason: z.string() }) }),
  z.object({
    eventType: z.literal('Rendering Failure'),
    mail: SesMail,
    failure: z.object({ errorMessage: z.string(), templateName: z.string().optional() }),
  }),
]);
export type SesFeedback = z.infer<typeof SesFeedback>;

export type FeedbackVerdict =
  | {
      outcome: 'failed';
      reason: 'bounced' | 'complained' | 'rejected';
      /** For Notification.Failed: short, and without any address. */
      detail: string;
      /** When it happened, by SES's account. */
      at: string;
      /** A complaining participant gets no further emails (as if they had used the unsubscribe link). */
      unsubscribe: boolean;
    }
  | { outcome: 'ignored'; why: string };

/**
 * What a feedback event means for the notification. Only a permanent bounce is a failure: a
 * transient or undetermined one says nothing lasting about the address (a full mailbox, a message too
 * large, an auto-reply that some providers and SES's mailbox simulator report as a transient bounce,
 * though the email was delivered), SES has already retried it, and SES's own suppression list ignores
 * it too. It is logged, not reported.
 */
export function judgeFeedback(feedback: SesFeedback, recipient: MailIdentity['recipient']): FeedbackVerdict {
  switch (feedback.eventType) {
    case 'Bounce': {
      const { bounceType, bounceSubType, bouncedRecipients, timestamp } = feedback.bounce;
      if (bounceType !== 'Permanent') {
        return {
          outcome: 'ignored',
          why: `a ${bounceType.toLowerCase()} bounce (${bounceSubType}) is not a lasting failure`,
        };
      }
      const first = bouncedRecipients[0];
      const why = [first?.status, first?.diagnosticCode].filter(Boolean).join(' ');
      return {
        outcome: 'failed',
        reason: 'bounced',
        detail: shortText(`permanent bounce (${bounceSubType})${why ? `: ${why}` : ''}`),
        at: timestamp,
        unsubscribe: false,
      };
    }
    case 'Complaint': {
      const { complaintFeedbackType, timestamp } = feedback.complaint;
      const unsubscribe = recipient.kind === 'participant';
      return {
        outcome: 'failed',
        reason: 'complained',
        detail: shortText(
          `the recipient marked the email as spam${complaintFeedbackType ? ` (${complaintFeedbackType})` : ''}` +
            (unsubscribe ? '; the participant gets no further emails' : ''),
        ),
        at: timestamp,
        unsubscribe,
      };
    }
    case 'Reject':
      return {
        outcome: 'failed',
        reason: 'rejected',
        detail: shortText(`SES rejected the email after accepting it: ${feedback.reject.reason}`),
        at: feedback.mail.timestamp,
        unsubscribe: false,
      };
    case 'Rendering Failure':
      return {
        outcome: 'failed',
        reason: 'rejected',
        detail: shortText(`SES could not render the email: ${feedback.failure.errorMessage}`),
        at: feedback.mail.timestamp,
        unsubscribe: false,
      };
  }
}

/** Events and logs never carry an address: anything that looks like one becomes `<address>`. */
export function withoutAddresses(text: string): string {
  return text.replace(/[^\s<>"'(),;:]+@[^\s<>"'(),;:]+/g, '<address>');
}

/** Without addresses, on one line, at most 500 characters (Notification.Failed's `detail`). */
export function shortText(text: string): string {
  const clean = withoutAddresses(text).replace(/\s+/g, ' ').trim();
  return clean.length > 500 ? `${clean.slice(0, 499)}…` : clean;
}
