/**
 * The event catalog: one schema per event type and version. Producers create events through these
 * definitions and consumers parse them, so an event that does not fit its schema never travels.
 * Generated from this file: events/schemas/*.json and docs/events.md (`npm run generate`).
 */
import * as z from 'zod';
import { createEventRegistry, defineEvent, type EventOf, Id } from './envelope.ts';
import { AgeGroup, Locale, Role, Sector } from './vocabulary.ts';

const Text = (max: number) => z.string().trim().min(1).max(max);
const StageKey = z.string().regex(/^[a-z][a-z0-9-]{1,39}$/, 'a stage key');
const S3Key = z.string().min(1).max(1024);
const Percent = z.number().int().min(0).max(100);

const ex = {
  interviewId: '01JD3Z8Q9W2X4Y5Z6A7B8C9D0E',
  participantId: 'p-anna-01',
  workshopId: 'w-hede-1',
  planId: 'plan-badplats',
  ideaId: 'idea-badplats',
  taskId: '01JD3Z8Q9W2X4Y5Z6A7B8C9D0F',
  guideId: 'guide-hede',
};

export const ProcessStarted = defineEvent({
  type: 'Process.Started',
  version: 1,
  description: 'A method was started for a place; the first stage follows.',
  producers: ['api'],
  data: z.object({
    method: z.string().min(1),
    methodVersion: z.number().int().min(1),
    placeName: Text(120),
    municipality: Text(120),
    locale: Locale,
    facilitators: z.array(Id).min(1).max(20),
    /** Method parameters after per-process overrides, e.g. minimumInterviews. */
    parameters: z.record(z.string(), z.number()),
  }),
  example: {
    method: 'smarta-orter',
    methodVersion: 1,
    placeName: 'Hede',
    municipality: 'Härjedalen',
    locale: 'sv',
    facilitators: ['u-facilitator-1'],
    parameters: { minimumInterviews: 8 },
  },
});

export const ProcessCompleted = defineEvent({
  type: 'Process.Completed',
  version: 1,
  description: 'The last stage of the method is complete.',
  producers: ['stageEngine'],
  data: z.object({ method: z.string().min(1), stages: z.number().int().min(1) }),
  example: { method: 'smarta-orter', stages: 5 },
});

export const StageStarted = defineEvent({
  type: 'Stage.Started',
  version: 1,
  description: 'The process entered a stage; its entry tasks and notifications follow.',
  producers: ['api', 'stageEngine'],
  data: z.object({ stage: StageKey, index: z.number().int().min(0) }),
  example: { stage: 'interviews', index: 0 },
});

export const StageCompleted = defineEvent({
  type: 'Stage.Completed',
  version: 1,
  description: "A stage's exit criteria held, or a facilitator completed it manually with a reason.",
  producers: ['api', 'stageEngine'],
  data: z.object({
    stage: StageKey,
    index: z.number().int().min(0),
    manual: z.boolean(),
    reason: Text(500).optional(),
  }),
  example: { stage: 'interviews', index: 0, manual: false },
});

export const StageConfirmed = defineEvent({
  type: 'Stage.Confirmed',
  version: 1,
  description: 'A facilitator confirmed that a stage is ready to close (an exit criterion of some stages).',
  producers: ['api'],
  data: z.object({ stage: StageKey, note: Text(500).optional() }),
  example: { stage: 'plans', note: 'Alla tre planer har ägare.' },
});

export const ParticipantRegistered = defineEvent({
  type: 'Participant.Registered',
  version: 1,
  description: 'A participant joined the process. Name and email stay in the store, never in events.',
  producers: ['api'],
  data: z.object({
    participantId: Id,
    sector: Sector,
    ageGroup: AgeGroup,
    locale: Locale,
    consent: z.object({ recording: z.boolean(), contact: z.boolean() }),
  }),
  example: {
    participantId: ex.participantId,
    sector: 'association',
    ageGroup: 'age30to49',
    locale: 'sv',
    consent: { recording: true, contact: true },
  },
});

export const ParticipantErased = defineEvent({
  type: 'Participant.Erased',
  version: 1,
  description:
    'A participant was erased (GDPR): personal data and recordings removed. Carries no personal data.',
  producers: ['api'],
  data: z.object({ participantId: Id, recordingsDeleted: z.number().int().min(0) }),
  example: { participantId: ex.participantId, recordingsDeleted: 1 },
});

export const InterviewRegistered = defineEvent({
  type: 'Interview.Registered',
  version: 1,
  description: 'An interview was registered with recording consent; an upload link may now be issued.',
  producers: ['api'],
  data: z.object({
    interviewId: Id,
    participantId: Id,
    sector: Sector,
    ageGroup: AgeGroup,
    consentRecordedAt: z.iso.datetime(),
  }),
  example: {
    interviewId: ex.interviewId,
    participantId: ex.participantId,
    sector: 'association',
    ageGroup: 'age30to49',
    consentRecordedAt: '2026-03-02T09:00:00.000Z',
  },
});

export const InterviewRecorded = defineEvent({
  type: 'Interview.Recorded',
  version: 1,
  description: 'The recording of a registered interview landed in S3 and passed the checks.',
  producers: ['recordingIngest'],
  data: z.object({
    interviewId: Id,
    key: S3Key,
    size: z.number().int().min(1),
    contentType: z.string().min(3),
    sha256: z
      .string()
      .regex(/^[a-f0-9]{64}$/)
      .optional(),
  }),
  example: {
    interviewId: ex.interviewId,
    key: `recordings/org-jh/hede/proc-hede/${ex.interviewId}/intervju.m4a`,
    size: 18_400_000,
    contentType: 'audio/mp4',
  },
});

export const InterviewRejected = defineEvent({
  type: 'Interview.Rejected',
  version: 1,
  description: 'An upload was refused and moved to quarantine; the reason says why.',
  producers: ['recordingIngest'],
  data: z.object({
    interviewId: Id.optional(),
    key: S3Key,
    quarantineKey: S3Key,
    reason: z.enum([
      'unknownInterview',
      'noConsent',
      'tooLarge',
      'empty',
      'contentTypeNotAllowed',
      'alreadyRecorded',
    ]),
    detail: Text(500),
  }),
  example: {
    interviewId: ex.interviewId,
    key: `recordings/org-jh/hede/proc-hede/${ex.interviewId}/film.exe`,
    quarantineKey: `quarantine/org-jh/hede/proc-hede/${ex.interviewId}/film.exe`,
    reason: 'contentTypeNotAllowed',
    detail: 'application/x-msdownload is not audio, video or a transcript',
  },
});

export const InterviewSummarised = defineEvent({
  type: 'Interview.Summarised',
  version: 1,
  description: 'The facilitator summarised an interview into needs, wishes, challenges, quotes and themes.',
  producers: ['api'],
  data: z.object({
    interviewId: Id,
    sector: Sector,
    ageGroup: AgeGroup,
    needs: z.array(Text(300)).max(30),
    wishes: z.array(Text(300)).max(30),
    challenges: z.array(Text(300)).max(30),
    /** Quotes without names: results never say who said what, only sector and generation. */
    quotes: z.array(Text(500)).max(10),
    themes: z.array(Text(60)).min(1).max(15),
  }),
  example: {
    interviewId: ex.interviewId,
    sector: 'association',
    ageGroup: 'age30to49',
    needs: ['En mötesplats för unga på kvällarna'],
    wishes: ['Rusta upp badplatsen'],
    challenges: ['Bussen går för sällan'],
    quotes: ['Vi har allt här utom en plats att ses.'],
    themes: ['mötesplatser', 'kommunikationer'],
  },
});

export const WorkshopScheduled = defineEvent({
  type: 'Workshop.Scheduled',
  version: 1,
  description: 'A workshop was scheduled; invitations go to the invitees.',
  producers: ['api'],
  data: z.object({
    workshopId: Id,
    startsAt: z.iso.datetime(),
    endsAt: z.iso.datetime(),
    venue: Text(200),
    invitees: z.array(Id).max(500),
  }),
  example: {
    workshopId: ex.workshopId,
    startsAt: '2026-04-14T16:00:00.000Z',
    endsAt: '2026-04-14T19:00:00.000Z',
    venue: 'Hede bygdegård',
    invitees: [ex.participantId],
  },
});

export const Attendance = z.array(
  z.object({ sector: Sector, ageGroup: AgeGroup, count: z.number().int().min(1) }),
);
export const WorkshopClosed = defineEvent({
  type: 'Workshop.Closed',
  version: 1,
  description: 'A workshop was held: attendance by sector and age group, and the ideas with their votes.',
  producers: ['api'],
  data: z.object({
    workshopId: Id,
    attendance: Attendance.min(1).max(60),
    ideas: z
      .array(
        z.object({
          ideaId: Id,
          title: Text(200),
          description: Text(2000).optional(),
          votes: z.number().int().min(0),
          proposedBy: Sector,
          themes: z.array(Text(60)).max(10),
        }),
      )
      .max(200),
  }),
  example: {
    workshopId: ex.workshopId,
    attendance: [
      { sector: 'association', ageGroup: 'age30to49', count: 9 },
      { sector: 'business', ageGroup: 'age50to64', count: 5 },
      { sector: 'municipality', ageGroup: 'age30to49', count: 3 },
    ],
    ideas: [
      {
        ideaId: ex.ideaId,
        title: 'Ny brygga vid badplatsen',
        votes: 14,
        proposedBy: 'association',
        themes: ['friluftsliv'],
      },
    ],
  },
});

const Count = z.number().int().min(0);
export const ResultsCompiled = defineEvent({
  type: 'Results.Compiled',
  version: 1,
  description: 'Interviews and workshop compiled into one picture of the place; the report files are in S3.',
  producers: ['resultsCompiler'],
  data: z.object({
    themes: z
      .array(z.object({ theme: Text(60), mentions: Count, votes: Count, rank: z.number().int().min(1) }))
      .max(30),
    interviews: Count,
    ideas: Count,
    participation: z.object({
      bySector: z.partialRecord(Sector, Count),
      byAgeGroup: z.partialRecord(AgeGroup, Count),
    }),
    reportKeys: z.object({ markdown: S3Key, html: S3Key, json: S3Key }),
  }),
  example: {
    themes: [{ theme: 'mötesplatser', mentions: 6, votes: 22, rank: 1 }],
    interviews: 8,
    ideas: 12,
    participation: {
      bySector: { association: 9, business: 5, municipality: 3 },
      byAgeGroup: { age30to49: 12 },
    },
    reportKeys: {
      markdown: 'reports/org-jh/hede/proc-hede/report.md',
      html: 'reports/org-jh/hede/proc-hede/report.html',
      json: 'reports/org-jh/hede/proc-hede/results.json',
    },
  },
});

const Party = z.object({ organisation: Text(200), sector: Sector });
export const PlanProposed = defineEvent({
  type: 'Plan.Proposed',
  version: 1,
  description:
    'A concrete plan was proposed, from a workshop idea or new, with an owner, partners and actions.',
  producers: ['api'],
  data: z.object({
    planId: Id,
    ideaId: Id.optional(),
    title: Text(200),
    goal: Text(2000),
    owner: Party,
    partners: z.array(Party).max(30),
    actions: z
      .array(z.object({ what: Text(500), who: Text(200), when: z.iso.date() }))
      .min(1)
      .max(50),
    budget: z
      .object({ amount: z.number().min(0), currency: z.enum(['SEK', 'EUR', 'NOK', 'DKK']) })
      .optional(),
    dueDate: z.iso.date(),
  }),
  example: {
    planId: ex.planId,
    ideaId: ex.ideaId,
    title: 'Ny brygga vid badplatsen',
    goal: 'En trygg badplats som föreningar och besöksnäring kan använda.',
    owner: { organisation: 'Hede byalag', sector: 'association' },
    partners: [
      { organisation: 'Hede Camping AB', sector: 'business' },
      { organisation: 'Härjedalens kommun', sector: 'municipality' },
    ],
    actions: [{ what: 'Ansöka om bygdemedel', who: 'Hede byalag', when: '2026-06-01' }],
    budget: { amount: 85_000, currency: 'SEK' },
    dueDate: '2026-09-30',
  },
});

export const PlanApproved = defineEvent({
  type: 'Plan.Approved',
  version: 1,
  description: 'A proposed plan was approved; its owner and partners are told.',
  producers: ['api'],
  data: z.object({ planId: Id }),
  example: { planId: ex.planId },
});

export const PlanProgressReported = defineEvent({
  type: 'Plan.ProgressReported',
  version: 1,
  description: 'The owner reported progress on an approved plan.',
  producers: ['api'],
  data: z.object({ planId: Id, percent: Percent, note: Text(2000) }),
  example: { planId: ex.planId, percent: 40, note: 'Bygdemedel beviljade.' },
});

export const PlanCompleted = defineEvent({
  type: 'Plan.Completed',
  version: 1,
  description: 'An approved plan was carried out.',
  producers: ['api'],
  data: z.object({ planId: Id, outcome: Text(2000) }),
  example: { planId: ex.planId, outcome: 'Bryggan invigdes på midsommarafton.' },
});

export const GuideGenerated = defineEvent({
  type: 'Guide.Generated',
  version: 1,
  description: 'The guide for the place was generated from its timeline, reflections and plans.',
  producers: ['guideBuilder'],
  data: z.object({ guideId: Id, locale: Locale, keys: z.object({ markdown: S3Key, html: S3Key }) }),
  example: {
    guideId: ex.guideId,
    locale: 'sv',
    keys: {
      markdown: 'guides/org-jh/hede/proc-hede/guide.md',
      html: 'guides/org-jh/hede/proc-hede/guide.html',
    },
  },
});

export const GuidePublished = defineEvent({
  type: 'Guide.Published',
  version: 1,
  description: 'The guide was published for others at a stable link.',
  producers: ['api'],
  data: z.object({ guideId: Id, path: z.string().regex(/^\/guides\/[A-Za-z0-9/_-]+$/) }),
  example: { guideId: ex.guideId, path: '/guides/org-jh/hede' },
});

/** The seven reflection questions of medborgardriven utveckling (seed 003). */
export const reflectionQuestions = [
  'whatDidWeDo',
  'whatDidItGive',
  'whatDidWeLearn',
  'whatIsWiseNow',
  'whatDoWeNeed',
  'nextConcreteStep',
  'whichStrengths',
] as const;

export const ReflectionRecorded = defineEvent({
  type: 'Reflection.Recorded',
  version: 1,
  description: 'The seven reflection questions were answered for a meeting or a stage.',
  producers: ['api'],
  data: z.object({
    reflectionId: Id,
    stage: StageKey,
    meeting: Text(200).optional(),
    answers: z.object(
      Object.fromEntries(reflectionQuestions.map((q) => [q, Text(4000)])) as Record<
        (typeof reflectionQuestions)[number],
        ReturnType<typeof Text>
      >,
    ),
  }),
  example: {
    reflectionId: 'refl-hede-1',
    stage: 'workshop',
    meeting: 'Idéverkstad i bygdegården',
    answers: {
      whatDidWeDo: 'Vi bjöd in föreningar, företag och kommunen till en kväll om Hedes framtid.',
      whatDidItGive: 'Tolv idéer och tre nya samarbeten.',
      whatDidWeLearn: 'Unga kommer när de själva får leda en del.',
      whatIsWiseNow: 'Börja med badplatsen: den samlar flest.',
      whatDoWeNeed: 'Bygdemedel och en kontaktperson på kommunen.',
      nextConcreteStep: 'Ansöka om bygdemedel före 1 juni.',
      whichStrengths: 'Byalagets nätverk och campingens gäster.',
    },
  },
});

export const TaskCreated = defineEvent({
  type: 'Task.Created',
  version: 1,
  description: 'A task was created for a role (and optionally a person), usually on entering a stage.',
  producers: ['api', 'stageEngine'],
  data: z.object({
    taskId: Id,
    key: z.string().regex(/^[a-z][a-zA-Z0-9-]{1,59}$/),
    stage: StageKey,
    role: Role,
    assignee: Id.optional(),
    dueAt: z.iso.datetime().optional(),
  }),
  example: {
    taskId: ex.taskId,
    key: 'book-interviews',
    stage: 'interviews',
    role: 'facilitator',
    assignee: 'u-facilitator-1',
    dueAt: '2026-03-16T09:00:00.000Z',
  },
});

export const TaskCompleted = defineEvent({
  type: 'Task.Completed',
  version: 1,
  description: 'A task was done.',
  producers: ['api'],
  data: z.object({ taskId: Id }),
  example: { taskId: ex.taskId },
});

export const TaskOverdue = defineEvent({
  type: 'Task.Overdue',
  version: 1,
  description: 'A task was still open at its due time.',
  producers: ['taskReminders'],
  data: z.object({ taskId: Id, dueAt: z.iso.datetime() }),
  example: { taskId: ex.taskId, dueAt: '2026-03-16T09:00:00.000Z' },
});

export const templates = [
  'processStarted',
  'stageStarted',
  'stageCompleted',
  'workshopInvitation',
  'resultsReady',
  'planApproved',
  'guidePublished',
  'taskAssigned',
  'taskOverdue',
  'processCompleted',
] as const;
export const Template = z.enum(templates);
export type Template = z.infer<typeof Template>;

export const NotificationRequested = defineEvent({
  type: 'Notification.Requested',
  version: 1,
  description: 'An email should go to the people in the audience roles, rendered in their locale.',
  producers: ['api', 'stageEngine'],
  data: z.object({
    notificationId: Id,
    template: Template,
    audience: z.array(Role).min(1),
    /** Set when the email is about one thing: a stage, a plan, a task. */
    subject: z.object({
      kind: z.enum(['stage', 'plan', 'task', 'workshop', 'guide', 'results']),
      id: z.string(),
    }),
  }),
  example: {
    notificationId: 'n-01JD3Z8Q9W2X4Y5Z6A7B8C9D0G',
    template: 'stageCompleted',
    audience: ['facilitator'],
    subject: { kind: 'stage', id: 'interviews' },
  },
});

/**
 * Recipients are referred to by id; the address lives in the store. Plan contacts (a plan's owner and
 * partners) have no id of their own: theirs is `{planId}-owner` or `{planId}-partner-{n}`.
 */
export const RecipientRef = z.object({ kind: z.enum(['participant', 'user', 'planContact']), id: Id });

export const NotificationSent = defineEvent({
  type: 'Notification.Sent',
  version: 1,
  description: 'An email was accepted by SES for one recipient.',
  producers: ['notifier'],
  data: z.object({
    notificationId: Id,
    template: Template,
    recipient: RecipientRef,
    locale: Locale,
    messageId: z.string(),
  }),
  example: {
    notificationId: 'n-01JD3Z8Q9W2X4Y5Z6A7B8C9D0G',
    template: 'stageCompleted',
    recipient: { kind: 'user', id: 'u-facilitator-1' },
    locale: 'sv',
    messageId: '0100018f-local-message',
  },
});

export const NotificationFailed = defineEvent({
  type: 'Notification.Failed',
  version: 1,
  description:
    'An email could not be sent, or SES reported it bounced (permanently), drew a complaint or was rejected after it was sent.',
  producers: ['notifier', 'emailFeedback'],
  data: z.object({
    notificationId: Id,
    template: Template,
    recipient: RecipientRef.optional(),
    reason: z.enum(['rejected', 'bounced', 'complained', 'noAddress', 'unsubscribed']),
    detail: Text(500),
  }),
  example: {
    notificationId: 'n-01JD3Z8Q9W2X4Y5Z6A7B8C9D0G',
    template: 'resultsReady',
    recipient: { kind: 'participant', id: ex.participantId },
    reason: 'bounced',
    detail: 'Mailbox does not exist',
  },
});

export const eventDefinitions = [
  ProcessStarted,
  ProcessCompleted,
  StageStarted,
  StageCompleted,
  StageConfirmed,
  ParticipantRegistered,
  ParticipantErased,
  InterviewRegistered,
  InterviewRecorded,
  InterviewRejected,
  InterviewSummarised,
  WorkshopScheduled,
  WorkshopClosed,
  ResultsCompiled,
  PlanProposed,
  PlanApproved,
  PlanProgressReported,
  PlanCompleted,
  GuideGenerated,
  GuidePublished,
  ReflectionRecorded,
  TaskCreated,
  TaskCompleted,
  TaskOverdue,
  NotificationRequested,
  NotificationSent,
  NotificationFailed,
] as const;

export const catalog = createEventRegistry(eventDefinitions);
export type PipelineEvent = EventOf<(typeof eventDefinitions)[number]>;
export type PipelineEventType = PipelineEvent['metadata']['type'];
export type EventDefinitionOf = (typeof eventDefinitions)[number];
export type EventOfType<T extends PipelineEventType> = Extract<PipelineEvent, { metadata: { type: T } }>;

/** Narrows an event by its type (the discriminant sits in `metadata`, where TypeScript cannot see it). */
export function isEvent<T extends PipelineEventType>(event: PipelineEvent, type: T): event is EventOfType<T> {
  return event.metadata.type === type;
}
