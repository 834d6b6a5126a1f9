/**
 * Who an email goes to. A notification names roles; the process and the directory turn them into
 * people: facilitators are users, participants are those who agreed to be contacted (and have not
 * unsubscribed or been erased), plan owners and partners are the contacts of a plan. Recipients are
 * named in events by id, never by address; one address gets one email even if it holds several roles.
 */
import type { Role } from '../../events/vocabulary.ts';
import { type Locale, Role as RoleSchema } from '../../events/vocabulary.ts';
import type { ProcessState } from '../domain/process.ts';
import type { Contact, Participant, PlanContacts, User } from '../store/directory.ts';
import { unsubscribePath, unsubscribeToken } from './unsubscribe.ts';

export interface RecipientRef {
  kind: 'participant' | 'user' | 'planContact';
  id: string;
}

export interface Recipient {
  ref: RecipientRef;
  role: Role;
  locale: Locale;
  address?: string;
  name?: string;
  /** Participants only: their personal unsubscribe link. */
  unsubscribeUrl?: string;
  /** Why this recipient gets no email; reported as Notification.Failed. */
  excluded?: 'noAddress' | 'unsubscribed';
}

/** The directory as the resolver needs it, bound to one organisation and process (Directory fits). */
export interface RecipientLookup {
  user(userId: string): Promise<User | undefined>;
  participants(): Promise<Participant[]>;
  planContacts(planId: string): Promise<PlanContacts | undefined>;
}

export interface Audience {
  roles: readonly Role[];
  /** Facilitators: the task's assignee when the email is about one task, else all of the process. */
  facilitators: readonly string[];
  /** Participants: only these when set (a workshop's invitees), else everyone who may be contacted. */
  participantIds?: readonly string[];
  /** Plan owners and partners: the contacts of these plans. */
  planIds: readonly string[];
}

const ID = /^[A-Za-z0-9][A-Za-z0-9_-]{0,63}$/;

/**
 * Plan contacts have no id of their own; they are named after their plan and place in it
 * (`planContact` recipients: `{planId}-owner`, `{planId}-partner-{n}`), never by name or address.
 */
export function planContactId(planId: string, slot: string): string {
  const id = `${planId}-${slot}`;
  return ID.test(id) ? id : `plan-${hash(planId)}-${slot}`;
}

function hash(text: string): string {
  let h = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) h = Math.imul(h ^ text.charCodeAt(i), 0x01000193) >>> 0;
  return h.toString(36);
}

export async function resolveRecipients(input: {
  state: Pick<ProcessState, 'orgId' | 'processId' | 'locale'>;
  audience: Audience;
  lookup: RecipientLookup;
  publicApiUrl: string;
}): Promise<Recipient[]> {
  const { state, audience, lookup } = input;
  const found: Recipient[] = [];
  const roles = RoleSchema.options.filter((role) => audience.roles.includes(role));
  const participants = roles.includes('participant') ? await lookup.participants() : [];
  const plans = roles.some((r) => r === 'planOwner' || r === 'partner')
    ? (await Promise.all(audience.planIds.map((id) => lookup.planContacts(id)))).filter(
        (p): p is PlanContacts => p !== undefined,
      )
    : [];

  for (const role of roles) {
    if (role === 'facilitator') {
      for (const userId of audience.facilitators) {
        const user = await lookup.user(userId);
        found.push(contactable({ kind: 'user', id: userId }, role, user, state.locale));
      }
    }
    if (role === 'participant') {
      const wanted = audience.participantIds ? new Set(audience.participantIds) : undefined;
      for (const participant of participants) {
        if (wanted && !wanted.has(participant.participantId)) continue;
        // Erased people and people who never agreed to be contacted are not recipients at all.
        if (participant.erasedAt || !participant.consent.contact) continue;
        const ref = { kind: 'participant' as const, id: participant.participantId };
        if (participant.unsubscribedAt) {
          found.push({ ref, role, locale: participant.locale, excluded: 'unsubscribed' });
          continue;
        }
        const token = unsubscribeToken(
          { orgId: state.orgId, processId: state.processId, participantId: participant.participantId },
          participant.unsubscribeNonce,
        );
        found.push({
          ...contactable(ref, role, participant, participant.locale),
          unsubscribeUrl: `${input.publicApiUrl}${unsubscribePath(token)}`,
        });
      }
    }
    if (role === 'planOwner') {
      for (const plan of plans) {
        if (plan.owner) {
          const ref = { kind: 'planContact' as const, id: planContactId(plan.planId, 'owner') };
          found.push(contactable(ref, role, plan.owner, plan.owner.locale ?? state.locale));
        }
      }
    }
    if (role === 'partner') {
      for (const plan of plans) {
        plan.partners.forEach((partner, i) => {
          const ref = {
            kind: 'planContact' as const,
            id: planContactId(plan.planId, `partner-${i + 1}`),
          };
          found.push(contactable(ref, role, partner, partner.locale ?? state.locale));
        });
      }
    }
    // coordinator and ops: the directory has no way to list users by role yet (see the report).
  }
  return distinct(found);
}

function contactable(
  ref: RecipientRef,
  role: Role,
  person: (Pick<Contact, 'name' | 'email'> & { locale?: Locale }) | undefined,
  locale: Locale,
): Recipient {
  const address = person?.email?.trim();
  if (!address) return { ref, role, locale, excluded: 'noAddress' };
  return {
    ref,
    role,
    locale: person?.locale ?? locale,
    address,
    ...(person?.name ? { name: person.name } : {}),
  };
}

/** One email per address and one outcome per recipient id: the first role that reaches a person wins. */
function distinct(recipients: Recipient[]): Recipient[] {
  const addresses = new Set<string>();
  const refs = new Set<string>();
  return recipients.filter((recipient) => {
    const ref = `${recipient.ref.kind}:${recipient.ref.id}`;
    if (refs.has(ref)) return false;
    refs.add(ref);
    if (!recipient.address) return true;
    const address = recipient.address.toLowerCase();
    if (addresses.has(address)) return false;
    addresses.add(address);
    return true;
  });
}
