/**
 * One recipient's email for one notification: the rendered template, the participant's unsubscribe
 * headers (RFC 2369 List-Unsubscribe, RFC 8058 one-click) and, for a workshop invitation, its
 * calendar file.
 */
import type { Template } from '../../events/catalog.ts';
import { workshopIcs } from './ics.ts';
import type { Recipient } from './recipients.ts';
import { type MailFacts, mailContent, mailTexts, renderEmail } from './render.ts';
import type { OutgoingEmail } from './sender.ts';

export interface Invitation {
  /** Stable per workshop, so a re-sent invitation updates the same calendar entry. */
  uid: string;
  startsAt: string;
  endsAt: string;
  venue: string;
  /** When the invitation was made (DTSTAMP). */
  stamp: string;
}

export function composeEmail(input: {
  template: Template;
  recipient: Recipient & { address: string };
  facts: MailFacts;
  from: string;
  invitation?: Invitation;
}): OutgoingEmail {
  const { template, recipient, facts, invitation } = input;
  const rendered = renderEmail(template, recipient.locale, facts, {
    ...(recipient.name ? { name: recipient.name } : {}),
    ...(recipient.unsubscribeUrl ? { unsubscribeUrl: recipient.unsubscribeUrl } : {}),
  });
  const to = { address: recipient.address, ...(recipient.name ? { name: recipient.name } : {}) };
  const email: OutgoingEmail = { from: input.from, to, ...rendered };
  if (recipient.unsubscribeUrl) {
    email.headers = {
      'List-Unsubscribe': `<${recipient.unsubscribeUrl}>`,
      'List-Unsubscribe-Post': 'List-Unsubscribe=One-Click',
    };
  }
  if (invitation) {
    const content = mailContent(template, recipient.locale, mailTexts(facts, recipient.locale));
    email.attachments = [
      {
        filename: 'workshop.ics',
        contentType: 'text/calendar; charset=utf-8; method=REQUEST',
        content: workshopIcs({
          uid: invitation.uid,
          startsAt: invitation.startsAt,
          endsAt: invitation.endsAt,
          summary: rendered.subject,
          location: invitation.venue,
          description: content.paragraphs[0] ?? rendered.subject,
          organizer: input.from,
          attendee: to,
          stamp: invitation.stamp,
        }),
      },
    ];
  }
  return email;
}
