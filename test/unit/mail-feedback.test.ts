/** The tags on every email and what SES's feedback on it means (shared/mail/feedback.ts, pure). */
import { describe, expect, it } from 'vitest';
import {
  judgeFeedback,
  type MailIdentity,
  MailTagError,
  mailIdentityOf,
  mailTags,
  SesFeedback,
  shortText,
} from '../../shared/mail/feedback.ts';

const identity: MailIdentity = {
  orgId: 'org-jh',
  processId: 'proc-hede',
  notificationId: 'n-01JD3Z8Q9W2X4Y5Z6A7B8C9D0G',
  template: 'resultsReady',
  recipient: { kind: 'planContact', id: 'plan-badplats-partner-2' },
};
const asPublished = (tags: Record<string, string>) =>
  Object.fromEntries(Object.entries(tags).map(([name, value]) => [name, [value]]));

describe('mail tags', () => {
  it('name the email by ids within SES’s tag alphabet, and read back to the same email', () => {
    const tags = mailTags(identity);
    for (const [name, value] of Object.entries(tags)) {
      expect(name).toMatch(/^[A-Za-z0-9_-]{1,256}$/);
      expect(value).toMatch(/^[A-Za-z0-9_-]{1,256}$/);
    }
    expect(mailIdentityOf({ ...asPublished(tags), 'ses:configuration-set': ['samskapa-dev'] })).toEqual({
      ok: true,
      identity,
    });
  });

  it('refuse a value SES would refuse, before the send', () => {
    expect(() => mailTags({ ...identity, processId: 'proc hede' as string })).toThrow(MailTagError);
  });

  it('say what is missing when feedback names no email of the pipeline', () => {
    expect(mailIdentityOf({ 'ses:configuration-set': ['samskapa-dev'] })).toEqual({
      ok: false,
      problem: 'it carries none of the tags the notifier puts on every email',
    });
    const { template: _t, ...rest } = asPublished(mailTags(identity));
    expect(mailIdentityOf(rest)).toEqual({ ok: false, problem: 'it lacks the tags template' });
    expect(mailIdentityOf({ ...asPublished(mailTags(identity)), template: ['newsletter'] })).toMatchObject({
      ok: false,
      problem: expect.stringContaining('template'),
    });
  });
});

const mail = { messageId: 'm-1', timestamp: '2026-04-14T08:30:00.000Z', tags: {} };
const bounce = (bounceType: string, bounceSubType = 'General') =>
  SesFeedback.parse({
    eventType: 'Bounce',
    mail,
    bounce: {
      bounceType,
      bounceSubType,
      bouncedRecipients: [{ emailAddress: 'x@example.org', status: '5.1.1' }],
      timestamp: '2026-04-14T08:30:01.000Z',
      feedbackId: 'f-1',
    },
  });

describe('judging feedback', () => {
  it('counts only a permanent bounce as a failure', () => {
    expect(judgeFeedback(bounce('Permanent', 'Suppressed'), identity.recipient)).toEqual({
      outcome: 'failed',
      reason: 'bounced',
      detail: 'permanent bounce (Suppressed): 5.1.1',
      at: '2026-04-14T08:30:01.000Z',
      unsubscribe: false,
    });
    expect(judgeFeedback(bounce('Transient', 'MailboxFull'), identity.recipient)).toEqual({
      outcome: 'ignored',
      why: 'a transient bounce (MailboxFull) is not a lasting failure',
    });
    expect(judgeFeedback(bounce('Undetermined'), identity.recipient).outcome).toBe('ignored');
  });

  it('unsubscribes only participants who complain: users and plan contacts have no such flag', () => {
    const complaint = SesFeedback.parse({
      eventType: 'Complaint',
      mail,
      complaint: { timestamp: '2026-04-15T00:00:00.000Z', feedbackId: 'f-2' },
    });
    expect(judgeFeedback(complaint, { kind: 'participant', id: 'p-1' })).toMatchObject({
      reason: 'complained',
      unsubscribe: true,
    });
    expect(judgeFeedback(complaint, identity.recipient)).toMatchObject({
      reason: 'complained',
      detail: 'the recipient marked the email as spam',
      unsubscribe: false,
    });
  });

  it('keeps details short and free of addresses', () => {
    expect(shortText(`User  <a.b+c@example.org>\nunknown ${'x'.repeat(600)}`)).toMatch(
      /^User <<address>> unknown x+…$/,
    );
    expect(shortText('x'.repeat(600))).toHaveLength(500);
  });
});
