/**
 * A place goes through Smarta Orter on the local runtime, through the HTTP API only: interviews with
 * real presigned uploads, a workshop with 12 ideas, results, three approved plans and a published
 * guide. Then the same story with every bus event delivered twice in shuffled order, and 20 places
 * at once. The runtime's own pipeline (outbox pipe, bus, functions, S3 events, SES) does the rest.
 */
import { ListObjectsV2Command, S3Client } from '@aws-sdk/client-s3';
import { afterAll, describe, expect, it } from 'vitest';
import { type LocalCloud, startLocalCloud } from '../../local/cloud.ts';
import { listOutbox, readMessage } from '../../local/ses/index.ts';
import { type Api, apiClient, eventually } from '../support/api-client.ts';

const ORG = 'org-jh';
const clouds: LocalCloud[] = [];
afterAll(async () => {
  for (const cloud of clouds) await cloud.stop();
});

async function start(redelivery?: { copies: number; maxDelayMs: number }) {
  const cloud = await startLocalCloud({ ...(redelivery ? { redelivery } : {}), retryDelaysMs: [200, 400] });
  clouds.push(cloud);
  const coordinator = apiClient(
    cloud.endpoints.api,
    await cloud.issueToken({ orgId: ORG, role: 'coordinator', sub: 'u-coordinator' }),
  );
  const facilitator = apiClient(
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
  return { cloud, coordinator, facilitator };
}

const sectors = [
  'association',
  'business',
  'municipality',
  'association',
  'business',
  'municipality',
  'resident',
  'education',
] as const;
const ageGroups = [
  'age18to29',
  'age30to49',
  'age50to64',
  'age65plus',
  'under18',
  'age30to49',
  'age50to64',
  'age18to29',
] as const;
const locales = ['sv', 'sv', 'fi', 'en', 'sv', 'sv', 'fi', 'sv'] as const;

interface Journey {
  processId: string;
  placeId: string;
}

/** The story of one place, told through the API as a facilitator and a coordinator would. */
async function journey(coordinator: Api, facilitator: Api, name: string): Promise<Journey> {
  const domain = `${name
    .normalize('NFD')
    .replace(/[^A-Za-z]/g, '')
    .toLowerCase()}.example`;
  const place = await coordinator.post<{ placeId: string }>('/places', {
    name,
    municipality: 'Härjedalen',
    region: 'Jämtlands län',
    population: 760,
  });
  const { processId } = await facilitator.post<{ processId: string }>('/processes', {
    placeId: place.placeId,
    method: 'smarta-orter',
    locale: 'sv',
    facilitators: ['u-frida'],
  });
  const p = `/processes/${processId}`;

  // 1. Interviews: eight people from the three sectors and every generation, each recorded and summarised.
  for (let i = 0; i < 8; i++) {
    await facilitator.post(`${p}/participants`, {
      participantId: `p-${i}`,
      name: `Deltagare ${i}`,
      email: `deltagare${i}@${domain}`,
      sector: sectors[i],
      ageGroup: ageGroups[i],
      locale: locales[i],
      consent: { recording: true, contact: true },
    });
    await facilitator.post(`${p}/interviews`, {
      interviewId: `i-${i}`,
      participantId: `p-${i}`,
      consentRecordedAt: new Date().toISOString(),
    });
    const recording = Buffer.from(`ftypM4A intervju ${i} i ${name}`.repeat(100));
    const upload = await facilitator.post<{ kind: string; url: string; headers: Record<string, string> }>(
      `${p}/interviews/i-${i}/upload`,
      { fileName: `intervju-${i}.m4a`, contentType: 'audio/mp4', size: recording.length },
    );
    expect(upload.kind).toBe('single');
    const put = await fetch(upload.url, { method: 'PUT', headers: upload.headers, body: recording });
    expect(put.status).toBe(200);
  }
  await eventually(
    () => facilitator.get<Timeline>(`${p}/timeline`),
    (t) => timelineTypes(t).filter((x) => x === 'Interview.Recorded').length === 8,
    'eight recordings ingested',
  );
  for (let i = 0; i < 8; i++) {
    await facilitator.put(`${p}/interviews/i-${i}/summary`, {
      needs: ['En mötesplats för unga', 'Fler hyresrätter'],
      wishes: ['Rusta upp badplatsen'],
      challenges: ['Bussen går för sällan'],
      quotes: ['Vi har allt här utom en plats att ses.'],
      themes: i % 2 ? ['mötesplatser', 'bostäder'] : ['mötesplatser', 'kommunikationer'],
    });
  }

  // 2. Workshop: associations, businesses and the municipality meet; twelve ideas get votes.
  const startsAt = new Date(Date.now() + 14 * 86_400_000);
  await facilitator.post(`${p}/workshops`, {
    workshopId: 'w-1',
    startsAt: startsAt.toISOString(),
    endsAt: new Date(startsAt.getTime() + 3 * 3_600_000).toISOString(),
    venue: `${name} bygdegård`,
    invitees: Array.from({ length: 8 }, (_, i) => `p-${i}`),
  });
  await facilitator.post(`${p}/workshops/w-1/close`, {
    attendance: [
      { sector: 'association', ageGroup: 'age30to49', count: 9 },
      { sector: 'business', ageGroup: 'age50to64', count: 5 },
      { sector: 'municipality', ageGroup: 'age30to49', count: 3 },
      { sector: 'resident', ageGroup: 'under18', count: 4 },
    ],
    ideas: Array.from({ length: 12 }, (_, i) => ({
      ideaId: `idea-${i + 1}`,
      title: `Idé ${i + 1} för ${name}`,
      votes: 20 - i,
      proposedBy: sectors[i % sectors.length],
      themes: i % 3 ? ['mötesplatser'] : ['friluftsliv'],
    })),
  });

  // 3. Results: compiled by the pipeline on entering the stage; the process moves on to plans by itself.
  await eventually(
    () => facilitator.get<Stageful>(p),
    (s) => stageOf(s) === 'plans',
    'the plans stage',
  );

  // 4. Plans: the three most voted ideas, each with an owner and partners from the three sectors.
  for (let i = 1; i <= 3; i++) {
    await facilitator.post(`${p}/plans`, {
      planId: `plan-${i}`,
      ideaId: `idea-${i}`,
      title: `Idé ${i} för ${name}`,
      goal: 'Genomförs i samverkan mellan förening, företag och kommun.',
      owner: {
        organisation: `${name} byalag`,
        sector: 'association',
        contact: { name: 'Olle Ägare', email: `agare${i}@${domain}` },
      },
      partners: [
        {
          organisation: `${name} Handel AB`,
          sector: 'business',
          contact: { name: 'Pia Partner', email: `partner${i}@${domain}` },
        },
        { organisation: 'Härjedalens kommun', sector: 'municipality' },
      ],
      actions: [{ what: 'Söka bygdemedel', who: 'Byalaget', when: '2027-03-01' }],
      budget: { amount: 50_000 * i, currency: 'SEK' },
      dueDate: '2027-09-30',
    });
    await facilitator.post(`${p}/plans/plan-${i}/approve`);
  }
  await facilitator.post(`${p}/reflections`, {
    reflectionId: 'r-plans',
    stage: 'plans',
    meeting: 'Planeringsmöte',
    answers: {
      whatDidWeDo: 'Vi tog fram tre planer.',
      whatDidItGive: 'Ägare och partner för varje plan.',
      whatDidWeLearn: 'Kommunen vill vara med tidigt.',
      whatIsWiseNow: 'Börja med badplatsen.',
      whatDoWeNeed: 'Bygdemedel.',
      nextConcreteStep: 'Ansöka före 1 mars.',
      whichStrengths: 'Byalagets nätverk.',
    },
  });
  await facilitator.post(`${p}/stages/plans/confirm`, { note: 'Alla planer har ägare.' });

  // 5. Guides: generated by the pipeline, published by the facilitator.
  const guide = await eventually(
    () => facilitator.get<{ guideId: string }>(`${p}/guide`),
    (g) => Boolean(g.guideId),
    'the generated guide',
  );
  await facilitator.post(`${p}/guide/publish`, { guideId: guide.guideId });
  await eventually(
    () => facilitator.get<Stageful>(p),
    (s) => s.status === 'completed',
    'the process to complete',
  );
  return { processId, placeId: place.placeId };
}

type Stageful = { status: string; stage?: { key?: string } | string; currentStage?: { key?: string } };
const stageOf = (s: Stageful) =>
  typeof s.stage === 'string' ? s.stage : (s.stage?.key ?? s.currentStage?.key);
type TimelineEvent = { metadata: { type: string }; data: Record<string, unknown> };
type Timeline = { items: TimelineEvent[] };
const timelineTypes = (t: Timeline) => t.items.map((e) => e.metadata.type);

async function objectKeys(cloud: LocalCloud, prefix: string): Promise<string[]> {
  const s3 = new S3Client({
    endpoint: cloud.endpoints.s3,
    region: cloud.endpoints.region,
    forcePathStyle: true,
    credentials: { accessKeyId: 'samskapalocal', secretAccessKey: 'samskapalocal' },
  });
  const listed = await s3.send(new ListObjectsV2Command({ Bucket: cloud.endpoints.bucket, Prefix: prefix }));
  return (listed.Contents ?? []).map((o) => o.Key as string).sort();
}

/** Everything a user could see of the outcome, with ids and times left out so two runs compare. */
async function outcome(cloud: LocalCloud, api: Api, j: Journey) {
  const p = `/processes/${j.processId}`;
  // Let the last notifications go out: every Notification.Requested has its Sent/Failed per recipient.
  const timeline = await eventually(
    () => api.get<Timeline>(`${p}/timeline`),
    (t) => {
      const events = t.items;
      const requested = events
        .filter((e) => e.metadata.type === 'Notification.Requested')
        .map((e) => e.data.notificationId);
      const done = new Set(
        events
          .filter(
            (e) =>
              e.metadata.type.startsWith('Notification.') && e.metadata.type !== 'Notification.Requested',
          )
          .map((e) => e.data.notificationId),
      );
      return requested.every((id) => done.has(id));
    },
    'every notification sent',
    60_000,
  );
  const events = timeline.items;
  const counts: Record<string, number> = {};
  for (const e of events) counts[e.metadata.type] = (counts[e.metadata.type] ?? 0) + 1;
  const sent = events.filter((e) => e.metadata.type === 'Notification.Sent');
  const prefix = (top: string) => `${top}/${ORG}/${j.placeId}/${j.processId}/`;
  return {
    status: ((await api.get<Stageful>(p)) as Stageful).status,
    stages: events.filter((e) => e.metadata.type === 'Stage.Started').map((e) => e.data.stage),
    counts,
    sent: sent
      .map((e) => `${e.data.template}->${(e.data.recipient as { id: string }).id}:${e.data.locale}`)
      .sort(),
    recordings: (await objectKeys(cloud, prefix('recordings'))).length,
    reports: (await objectKeys(cloud, prefix('reports'))).map((k) => k.split('/').at(-1)),
    guides: (await objectKeys(cloud, prefix('guides'))).map((k) => k.split('/').at(-1)),
  };
}

describe('Smarta Orter end to end, through the HTTP API', () => {
  let first: Awaited<ReturnType<typeof outcome>>;

  it('carries a place through all five stages', { timeout: 120_000 }, async () => {
    const { cloud, coordinator, facilitator } = await start();
    const j = await journey(coordinator, facilitator, 'Hede');
    first = await outcome(cloud, facilitator, j);

    expect(first.status).toBe('completed');
    expect(first.stages).toEqual(['interviews', 'workshop', 'results', 'plans', 'guides']);
    expect(first.counts).toMatchObject({
      'Interview.Recorded': 8,
      'Interview.Summarised': 8,
      'Workshop.Closed': 1,
      'Results.Compiled': 1,
      'Plan.Approved': 3,
      'Guide.Generated': 1,
      'Guide.Published': 1,
      'Process.Completed': 1,
    });
    expect(first.recordings).toBe(8);
    expect(first.reports.sort()).toEqual(['report.html', 'report.md', 'results.json']);
    expect(first.guides.sort()).toEqual(['guide.html', 'guide.md']);

    // The timeline is in order: each stage starts after the previous one completed.
    const timeline = await facilitator.get<Timeline>(`/processes/${j.processId}/timeline`);
    const transitions = timeline.items
      .filter((e) => e.metadata.type === 'Stage.Started' || e.metadata.type === 'Stage.Completed')
      .map((e) => `${e.metadata.type === 'Stage.Started' ? '>' : '<'}${e.data.stage}`);
    expect(transitions).toEqual([
      '>interviews',
      '<interviews',
      '>workshop',
      '<workshop',
      '>results',
      '<results',
      '>plans',
      '<plans',
      '>guides',
      '<guides',
    ]);

    // Emails: one file per Notification.Sent, each to its recipient, in the recipient's language.
    const outbox = await listOutbox(cloud.ses.dataDir);
    expect(outbox).toHaveLength(first.sent.length);
    expect(first.sent.some((s) => s.startsWith('workshopInvitation->p-2:fi'))).toBe(true);
    expect(first.sent.some((s) => s.startsWith('resultsReady->p-3:en'))).toBe(true);
    expect(first.sent.some((s) => s.startsWith('planApproved->'))).toBe(true);
    expect(first.sent.some((s) => s.startsWith('guidePublished->'))).toBe(true);
    const invitation = await Promise.all(outbox.map((m) => readMessage(cloud.ses.dataDir, m.id)));
    const withIcs = invitation.filter((m) =>
      m?.attachments.some((a) => a.contentType?.startsWith('text/calendar')),
    );
    expect(withIcs.length).toBeGreaterThanOrEqual(8);
    for (const message of invitation) expect(message?.to).not.toBe('');

    // Every link in every email resolves (reports, the guide, unsubscribe pages).
    const links = new Set<string>();
    for (const message of invitation) {
      for (const url of (message?.text ?? '').match(/https?:\/\/[^\s<>"')]+/g) ?? []) links.add(url);
    }
    expect(links.size).toBeGreaterThan(0);
    for (const url of links) {
      const response = await fetch(url);
      expect(response.status, url).toBe(200);
    }
  });

  it('ends in the same state with every event delivered twice and in shuffled order, and no email twice', {
    timeout: 120_000,
  }, async () => {
    expect(first, 'the first story must have run').toBeDefined();
    const { cloud, coordinator, facilitator } = await start({ copies: 2, maxDelayMs: 40 });
    const j = await journey(coordinator, facilitator, 'Hede');
    const again = await outcome(cloud, facilitator, j);
    expect(again).toEqual(first);
    expect(await listOutbox(cloud.ses.dataDir)).toHaveLength(first.sent.length);
  });

  it('carries 20 places through all stages in parallel', { timeout: 240_000 }, async () => {
    const { cloud, coordinator, facilitator } = await start();
    const names = [
      'Hede',
      'Funäsdalen',
      'Vemdalen',
      'Sveg',
      'Lillhärdal',
      'Ytterhogdal',
      'Hammarstrand',
      'Bispgården',
      'Föllinge',
      'Hammerdal',
      'Gäddede',
      'Backe',
      'Hoting',
      'Järpen',
      'Undersåker',
      'Duved',
      'Hallen',
      'Oviken',
      'Myrviken',
      'Gällö',
    ];
    const journeys = await Promise.all(names.map((name) => journey(coordinator, facilitator, name)));
    const board = await coordinator.get<{ items: { status: string }[] }>('/processes?limit=100');
    expect(board.items.filter((p) => p.status === 'completed')).toHaveLength(20);
    expect(journeys).toHaveLength(20);
    expect(cloud.failureQueues.list().filter((q) => q.size > 0)).toEqual([]);
  });
});
