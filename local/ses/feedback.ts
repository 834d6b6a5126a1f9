/**
 * The SES mailbox simulator and the events SES publishes through a configuration set. Mail to the
 * simulator's addresses (`bounce@simulator.amazonses.com`, with an optional `+label`) is accepted and
 * written to the outbox like any other, then answered as AWS answers it:
 *
 * | Address | AWS | Here |
 * | --- | --- | --- |
 * | `success@` | delivered | no event (the stack's configuration set publishes failures only) |
 * | `bounce@` | hard bounce, SMTP 550 5.1.1 "user unknown" | "Email Bounced": Permanent, General |
 * | `ooto@` | delivered; an out-of-office reply goes to the Return-Path mailbox | no event (a reply is mail, not an event) |
 * | `complaint@` | delivered, then marked as spam | "Email Complaint Received": abuse |
 * | `suppressionlist@` | hard bounce, as if the address were on the suppression list | "Email Bounced": Permanent, Suppressed |
 *
 * The events have the shape of SES's EventBridge events (source `aws.ses`; detail `eventType`, `mail`
 * with `tags` as `{ name: [values] }` including SES's own `ses:*` tags, and `bounce` or `complaint`),
 * and are published only for mail sent with a configuration set, as on AWS. Headers are left out of
 * `mail` (SES includes them; nothing here reads them).
 */
import { randomUUID } from 'node:crypto';
import type { PutEventsRequestEntry } from '@aws-sdk/client-eventbridge';

export const SIMULATOR_DOMAIN = 'simulator.amazonses.com';
export type SimulatorScenario = 'success' | 'bounce' | 'ooto' | 'complaint' | 'suppressionlist';
const SCENARIOS: readonly SimulatorScenario[] = ['success', 'bounce', 'ooto', 'complaint', 'suppressionlist'];

/** What the mailbox simulator does with mail to `address` (a bare address); undefined for any other. */
export function simulatorScenario(address: string): SimulatorScenario | undefined {
  const at = address.lastIndexOf('@');
  if (at < 0 || address.slice(at + 1).toLowerCase() !== SIMULATOR_DOMAIN) return undefined;
  const mailbox = (address.slice(0, at).split('+')[0] ?? '').toLowerCase();
  return SCENARIOS.find((scenario) => scenario === mailbox);
}

/** What the local SES hands to `publish`: a PutEvents entry for the default bus. */
export type SesEventEntry = Required<
  Pick<PutEventsRequestEntry, 'Source' | 'DetailType' | 'Detail' | 'Resources'>
> & {
  Time: Date;
};

export interface SentMessage {
  messageId: string;
  sentAt: Date;
  /** The sender as given (may carry a display name). */
  from: string;
  destination: string[];
  configurationSet: string;
  tags: { Name: string; Value: string }[];
  region: string;
  accountId: string;
}

/** SES feedback IDs look like message IDs. */
const feedbackId = (now: Date) =>
  `0102${now.getTime().toString(16).padStart(12, '0')}-${randomUUID()}-000000`;

const SUPPRESSED =
  'Amazon SES has suppressed sending to this address because it has a recent history of bouncing as an ' +
  'invalid address. For more information about how to remove an address from the suppression list, see ' +
  'the Amazon SES Developer Guide.';

/** The events SES would publish for a message accepted at `sentAt`, stamped `now`. */
export function simulatorEvents(message: SentMessage, now: Date): SesEventEntry[] {
  const byScenario = (scenario: SimulatorScenario) =>
    message.destination.filter((address) => simulatorScenario(address) === scenario);
  const mail = mailObject(message);
  const entry = (detailType: string, detail: object): SesEventEntry => ({
    Source: 'aws.ses',
    DetailType: detailType,
    Detail: JSON.stringify(detail),
    Resources: [
      `arn:aws:ses:${message.region}:${message.accountId}:configuration-set/${message.configurationSet}`,
    ],
    Time: now,
  });
  const bounce = (addresses: string[], subType: string, status: string, diagnosticCode: string) =>
    entry('Email Bounced', {
      eventType: 'Bounce',
      bounce: {
        feedbackId: feedbackId(now),
        bounceType: 'Permanent',
        bounceSubType: subType,
        bouncedRecipients: addresses.map((emailAddress) => ({
          emailAddress,
          action: 'failed',
          status,
          diagnosticCode,
        })),
        timestamp: now.toISOString(),
        reportingMTA: `dsn; ${SIMULATOR_DOMAIN}`,
      },
      mail,
    });

  const events: SesEventEntry[] = [];
  const bounced = byScenario('bounce');
  if (bounced.length) events.push(bounce(bounced, 'General', '5.1.1', 'smtp; 550 5.1.1 user unknown'));
  const suppressed = byScenario('suppressionlist');
  if (suppressed.length) events.push(bounce(suppressed, 'Suppressed', '5.1.1', SUPPRESSED));
  const complained = byScenario('complaint');
  if (complained.length) {
    events.push(
      entry('Email Complaint Received', {
        eventType: 'Complaint',
        complaint: {
          feedbackId: feedbackId(now),
          complaintSubType: null,
          complainedRecipients: complained.map((emailAddress) => ({ emailAddress })),
          timestamp: now.toISOString(),
          userAgent: 'Amazon SES Mailbox Simulator',
          complaintFeedbackType: 'abuse',
          arrivalDate: message.sentAt.toISOString(),
        },
        mail,
      }),
    );
  }
  return events;
}

function mailObject(message: SentMessage) {
  const bare = /<([^<>]+)>\s*$/.exec(message.from)?.[1] ?? message.from.trim();
  const domain = bare.slice(bare.lastIndexOf('@') + 1);
  const tags: Record<string, string[]> = {
    'ses:configuration-set': [message.configurationSet],
    'ses:operation': ['SendEmail'],
    'ses:source-ip': ['127.0.0.1'],
    'ses:from-domain': [domain],
    'ses:caller-identity': ['samskapa-local'],
  };
  for (const { Name, Value } of message.tags) tags[Name] = [...(tags[Name] ?? []), Value];
  return {
    timestamp: message.sentAt.toISOString(),
    source: message.from,
    sourceArn: `arn:aws:ses:${message.region}:${message.accountId}:identity/${domain}`,
    sendingAccountId: message.accountId,
    messageId: message.messageId,
    destination: message.destination,
    headersTruncated: false,
    tags,
  };
}
