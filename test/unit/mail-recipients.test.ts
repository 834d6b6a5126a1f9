/** Who gets an email: roles become people, consent and unsubscribes are respected, one email per address. */
import { describe, expect, it } from 'vitest';
import { planContactId, type RecipientLookup, resolveRecipients } from '../../shared/mail/recipients.ts';
import { readUnsubscribeToken } from '../../shared/mail/unsubscribe.ts';
import type { Participant, PlanContacts, User } from '../../shared/store/directory.ts';

const state = { orgId: 'org-jh', processId: 'proc-hede', locale: 'sv' as const };
const participant = (id: string, overrides: Partial<Participant> = {}): Participant => ({
  participantId: id,
  processId: 'proc-hede',
  name: `Person ${id}`,
  email: `${id}@example.org`,
  locale: 'sv',
  sector: 'association',
  ageGroup: 'age30to49',
  consent: { recording: true, contact: true },
  unsubscribeNonce: `nonce-${id}`,
  ...overrides,
});
const users: Record<string, User> = {
  'u-1': { userId: 'u-1', name: 'Eva', email: 'eva@example.org', locale: 'fi', role: 'facilitator' },
  'u-2': { userId: 'u-2', name: 'Olle', email: 'p-1@example.org', locale: 'sv', role: 'facilitator' },
};
const plans: Record<string, PlanContacts> = {
  'plan-1': {
    planId: 'plan-1',
    owner: { name: 'Byalagets ordförande', email: 'owner@example.org', locale: 'en' },
    partners: [
      { name: 'Campingen', email: 'camping@example.org' },
      { name: 'Kommunen', email: 'eva@example.org' },
    ],
  },
};
const lookup = (participants: Participant[]): RecipientLookup => ({
  user: async (id) => users[id],
  participants: async () => participants,
  planContacts: async (id) => plans[id],
});
const resolve = (
  roles: Parameters<typeof resolveRecipients>[0]['audience']['roles'],
  participants: Participant[] = [],
  extra: Partial<Parameters<typeof resolveRecipients>[0]['audience']> = {},
) =>
  resolveRecipients({
    state,
    audience: { roles, facilitators: ['u-1'], planIds: ['plan-1'], ...extra },
    lookup: lookup(participants),
    publicApiUrl: 'https://api.example',
  });

describe('resolveRecipients', () => {
  it('turns facilitators into users with their address and language', async () => {
    const [eva] = await resolve(['facilitator']);
    expect(eva).toEqual({
      ref: { kind: 'user', id: 'u-1' },
      role: 'facilitator',
      locale: 'fi',
      address: 'eva@example.org',
      name: 'Eva',
    });
  });

  it('reports a facilitator missing from the directory as having no address', async () => {
    const recipients = await resolve(['facilitator'], [], { facilitators: ['u-1', 'u-gone'] });
    expect(recipients[1]).toEqual({
      ref: { kind: 'user', id: 'u-gone' },
      role: 'facilitator',
      locale: 'sv',
      excluded: 'noAddress',
    });
  });

  it('emails participants who agreed to contact, with their own unsubscribe link', async () => {
    const recipients = await resolve(
      ['participant'],
      [
        participant('p-1', { locale: 'en' }),
        participant('p-2', { consent: { recording: true, contact: false } }),
        participant('p-3', { erasedAt: '2026-04-01T00:00:00.000Z', email: '', name: '' }),
        participant('p-4', { unsubscribedAt: '2026-04-02T00:00:00.000Z' }),
      ],
    );
    expect(recipients.map((r) => [r.ref.id, r.excluded ?? 'send'])).toEqual([
      ['p-1', 'send'],
      ['p-4', 'unsubscribed'],
    ]);
    const [anna] = recipients;
    expect(anna?.locale).toBe('en');
    const token = anna?.unsubscribeUrl?.replace('https://api.example/unsubscribe/', '') ?? '';
    expect(readUnsubscribeToken(token)).toEqual({
      orgId: 'org-jh',
      processId: 'proc-hede',
      participantId: 'p-1',
      nonce: 'nonce-p-1',
    });
    expect(recipients[1]?.address).toBeUndefined();
  });

  it('invites only the invitees when a workshop names them', async () => {
    const recipients = await resolve(['participant'], [participant('p-1'), participant('p-2')], {
      participantIds: ['p-2'],
    });
    expect(recipients.map((r) => r.ref.id)).toEqual(['p-2']);
  });

  it('finds plan owners and partners in the plan contacts, planContact recipients named by plan and slot', async () => {
    const recipients = await resolve(['planOwner', 'partner']);
    expect(recipients.map((r) => [r.ref.kind, r.ref.id, r.role, r.locale, r.address])).toEqual([
      ['planContact', 'plan-1-owner', 'planOwner', 'en', 'owner@example.org'],
      ['planContact', 'plan-1-partner-1', 'partner', 'sv', 'camping@example.org'],
      ['planContact', 'plan-1-partner-2', 'partner', 'sv', 'eva@example.org'],
    ]);
    expect(planContactId('p'.repeat(60), 'partner-12')).toMatch(/^plan-[0-9a-z]+-partner-12$/);
  });

  it('sends one email per address, the first role (in the vocabulary order) that reaches a person winning', async () => {
    const recipients = await resolve(['participant', 'partner', 'facilitator'], [participant('p-1')], {
      facilitators: ['u-1', 'u-2'],
    });
    // Olle (u-2) is also participant p-1, and the municipality's partner contact is Eva (u-1).
    expect(recipients.map((r) => `${r.role}:${r.ref.id}`)).toEqual([
      'facilitator:u-1',
      'facilitator:u-2',
      'partner:plan-1-partner-1',
    ]);
  });
});
