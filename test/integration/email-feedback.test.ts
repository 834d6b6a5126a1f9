/**
 * Bounces and complaints, end to end on the local runtime with the real topology: participants whose
 * addresses are the SES mailbox simulator's are invited to a workshop through the API; the notifier
 * sends with the configuration set and its tags, the local SES answers as AWS does, the event crosses
 * the default bus to emailFeedback, and the timeline shows who never got the invitation, by id only.
 * A participant who complained gets no further emails.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type LocalCloud, startLocalCloud } from '../../local/cloud.ts';
import { listOutbox } from '../../local/ses/index.ts';
import { type Api, apiClient, eventually } from '../support/api-client.ts';

const ORG = 'org-jh';
let cloud: LocalCloud;
let facilitator: Api;
let processId: string;

type TimelineEvent = { metadata: { type: string; actor: { id: string } }; data: Record<string, unknown> };
type Timeline = { items: TimelineEvent[] };

const people = [
  { participantId: 'p-bounce', email: 'bounce@simulator.amazonses.com' },
  { participantId: 'p-complaint', email: 'complaint@simulator.amazonses.com' },
  { participantId: 'p-ok', email: 'success@simulator.amazonses.com' },
];

beforeAll(async () => {
  cloud = await startLocalCloud({ retryDelaysMs: [200, 400] });
  const coordinator = apiClient(
    cloud.endpoints.api,
    await cloud.issueToken({ orgId: ORG, role: 'coordinator', sub: 'u-coordinator' }),
  );
  facilitator = apiClient(
    cloud.endpoints.api,
    await cloud.issueToken({ orgId: ORG, role: 'facilitator', sub: 'u-frida' }),
  );
  await coordinator.post('/users', {
    userId: 'u-frida',
    name: 'Frida Processledare',
    email: 'frida@region.example',
    locale: 'sv',
    role: 'facilitator',
  });
  const place = await coordinator.post<{ placeId: string }>('/places', {
    name: 'Hede',
    municipality: 'Härjedalen',
    region: 'Jämtlands län',
  });
  ({ processId } = await facilitator.post<{ processId: string }>('/processes', {
    placeId: place.placeId,
    facilitators: ['u-frida'],
    overrides: { minimumInterviews: 1 },
  }));
  const p = `/processes/${processId}`;
  for (const person of people) {
    await facilitator.post(`${p}/participants`, {
      ...person,
      name: `Deltagare ${person.participantId}`,
      sector: 'association',
      ageGroup: 'age30to49',
      locale: 'sv',
      consent: { recording: true, contact: true },
    });
  }
  await facilitator.post(`${p}/interviews`, {
    interviewId: 'i-1',
    participantId: 'p-ok',
    consentRecordedAt: new Date().toISOString(),
  });
  await facilitator.put(`${p}/interviews/i-1/summary`, {
    needs: ['En mötesplats'],
    wishes: ['Rusta upp badplatsen'],
    challenges: ['Bussen går för sällan'],
    quotes: ['Vi har allt här utom en plats att ses.'],
    themes: ['mötesplatser'],
  });
}, 120_000);
afterAll(() => cloud?.stop());

const timeline = () => facilitator.get<Timeline>(`/processes/${processId}/timeline`);
const outcomesOf = (t: Timeline, workshopNotification: string | undefined) =>
  t.items.filter(
    (e) =>
      (e.metadata.type === 'Notification.Sent' || e.metadata.type === 'Notification.Failed') &&
      e.data.notificationId === workshopNotification,
  );
const invitationOf = (t: Timeline, workshopId: string) =>
  t.items.find(
    (e) =>
      e.metadata.type === 'Notification.Requested' &&
      (e.data.subject as { kind: string; id: string }).id === workshopId,
  )?.data.notificationId as string | undefined;

async function invite(workshopId: string) {
  const startsAt = new Date(Date.now() + 14 * 86_400_000);
  await facilitator.post(`/processes/${processId}/workshops`, {
    workshopId,
    startsAt: startsAt.toISOString(),
    endsAt: new Date(startsAt.getTime() + 3 * 3_600_000).toISOString(),
    venue: 'Hede bygdegård',
    invitees: people.map((p) => p.participantId),
  });
}

describe('email feedback on the local runtime', () => {
  it('reports the invitation that bounced and the one that drew a complaint, by id, without an address', async () => {
    await eventually(
      () => facilitator.get<{ stage?: { key?: string } | string }>(`/processes/${processId}`),
      (s) => (typeof s.stage === 'string' ? s.stage : s.stage?.key) === 'workshop',
      'the workshop stage',
    );
    await invite('w-1');

    const t = await eventually(
      timeline,
      (t) => outcomesOf(t, invitationOf(t, 'w-1')).length === 5,
      'three invitations sent, one bounced, one complained',
    );
    const outcomes = outcomesOf(t, invitationOf(t, 'w-1'));
    const summary = outcomes.map((e) => ({
      type: e.metadata.type,
      by: e.metadata.actor.id,
      recipient: (e.data.recipient as { id: string }).id,
      reason: e.data.reason,
    }));
    expect(summary).toEqual(
      expect.arrayContaining([
        { type: 'Notification.Sent', by: 'notifier', recipient: 'p-bounce', reason: undefined },
        { type: 'Notification.Sent', by: 'notifier', recipient: 'p-complaint', reason: undefined },
        { type: 'Notification.Sent', by: 'notifier', recipient: 'p-ok', reason: undefined },
        { type: 'Notification.Failed', by: 'emailFeedback', recipient: 'p-bounce', reason: 'bounced' },
        { type: 'Notification.Failed', by: 'emailFeedback', recipient: 'p-complaint', reason: 'complained' },
      ]),
    );
    const bounced = outcomes.find((e) => e.data.reason === 'bounced');
    expect(bounced?.data).toMatchObject({
      template: 'workshopInvitation',
      detail: 'permanent bounce (General): 5.1.1 smtp; 550 5.1.1 user unknown',
    });
    // The timeline names people by id only: no address of anyone, simulator or not.
    expect(JSON.stringify(t)).not.toContain('amazonses.com');
    expect(JSON.stringify(outcomes)).not.toContain('@');

    // Every invitation is in the outbox (SES accepted them all); the bounce and complaint came after.
    const outbox = await listOutbox(cloud.ses.dataDir);
    expect(outbox.filter((m) => m.to.includes('@simulator.amazonses.com'))).toHaveLength(3);
    expect(cloud.ses.metrics()).toMatchObject({ eventsPublished: 2, publishFailed: 0 });
    expect(cloud.failureQueues.list().filter((q) => q.size > 0)).toEqual([]);
  });

  it('sends the participant who complained no further emails', async () => {
    await invite('w-2');
    const t = await eventually(
      timeline,
      (t) => outcomesOf(t, invitationOf(t, 'w-2')).length === 4,
      'the second invitation: two sent, one bounced, one withheld',
    );
    const outcomes = outcomesOf(t, invitationOf(t, 'w-2')).map((e) => ({
      recipient: (e.data.recipient as { id: string }).id,
      type: e.metadata.type,
      reason: e.data.reason,
    }));
    expect(outcomes).toEqual(
      expect.arrayContaining([
        { recipient: 'p-complaint', type: 'Notification.Failed', reason: 'unsubscribed' },
        { recipient: 'p-ok', type: 'Notification.Sent', reason: undefined },
        { recipient: 'p-bounce', type: 'Notification.Sent', reason: undefined },
        { recipient: 'p-bounce', type: 'Notification.Failed', reason: 'bounced' },
      ]),
    );
  });
});
