/**
 * The topology: every function of the pipeline, what triggers it, what it may touch and how its
 * failures are handled. Declared once; the CDK stack (infra/), the local runtime (local/), the tests
 * and the event catalog page all read this declaration, so cloud and local cannot drift.
 */
import * as z from 'zod';
import { apiRoutes } from './api/route-table.ts';

/** The custom bus that carries the pipeline's domain events (published from the outbox). */
export const PIPELINE_BUS = 'samskapa';
/** S3 "Object Created" notifications and SES email events arrive on the account's default bus, as on AWS. */
export const DEFAULT_BUS = 'default';
/** The `source` of every domain event the outbox pipe publishes. */
export const PIPELINE_SOURCE = 'samskapa.pipeline';
/** The `source` of the reminders EventBridge Scheduler puts on the pipeline bus. */
export const SCHEDULER_SOURCE = 'samskapa.scheduler';
/** The bucket for recordings, reports and guides (on AWS the name carries the stack). */
export const FILES_BUCKET = 'samskapa-files';
/** The `source` of the email events SES publishes through a configuration set. */
export const SES_SOURCE = 'aws.ses';
/**
 * The detail-types of the SES events that say an email did not reach its reader (EventBridge's SES
 * reference): a bounce, a complaint, a reject (SES found a virus) and a rendering failure (templated
 * sends only). The configuration set publishes these and no others (infra/email.ts).
 */
export const EMAIL_FEEDBACK_TYPES = [
  'Email Bounced',
  'Email Complaint Received',
  'Email Rejected',
  'Email Rendering Failed',
] as const;

/** How every function finds its resources: the same variables are set by infra/ and by local/. */
export const RESOURCE_ENVIRONMENT = {
  tableName: 'TABLE_NAME',
  bucketName: 'BUCKET_NAME',
  eventBusName: 'EVENT_BUS_NAME',
  /** Base URL of the public API, for links in emails (reports, guides, unsubscribe). */
  publicApiUrl: 'PUBLIC_API_URL',
  /** The verified sender of every email. */
  emailFrom: 'EMAIL_FROM',
  /**
   * The SES configuration set every email is sent with: SES publishes its bounces and complaints to
   * EventBridge only through one. Optional: without it emails go out untracked.
   */
  emailConfigurationSet: 'EMAIL_CONFIGURATION_SET',
  /** Scheduler: the group reminders are created in, and the role they put events on the bus with. */
  scheduleGroup: 'SCHEDULE_GROUP',
  schedulerRoleArn: 'SCHEDULER_ROLE_ARN',
} as const;

const functionName = z.string().regex(/^[a-z][a-zA-Z0-9]{2,47}$/, 'camelCase, 3-48 characters');
const eventPattern = z.record(z.string(), z.unknown()).refine((p) => Object.keys(p).length > 0, {
  message: 'an event pattern needs at least one field',
});

/** EventBridge's RetryPolicy for delivering to the target; after it, the rule target's DLQ. */
const deliveryPolicy = z.object({
  maximumRetryAttempts: z.number().int().min(0).max(185),
  maximumEventAgeSeconds: z.number().int().min(60).max(86_400),
});

const eventTrigger = z.object({
  kind: z.literal('event'),
  /** Rule name, unique across the topology. */
  rule: z.string().regex(/^[a-zA-Z0-9_.-]{1,64}$/),
  bus: z.enum([PIPELINE_BUS, DEFAULT_BUS]),
  pattern: eventPattern,
  delivery: deliveryPolicy.default({ maximumRetryAttempts: 8, maximumEventAgeSeconds: 3600 }),
});

const httpMethod = z.enum(['GET', 'POST', 'PUT', 'PATCH', 'DELETE']);
const httpTrigger = z.object({
  kind: z.literal('http'),
  method: httpMethod,
  /** `jwt`: the JWT authorizer verifies the caller (API Gateway on AWS, the local gateway here). */
  auth: z.enum(['jwt', 'none']).default('jwt'),
  /** API Gateway route path, e.g. `/processes/{processId}`; `{proxy+}` allowed as the last segment. */
  path: z
    .string()
    .regex(
      /^\/([a-zA-Z0-9._-]+|\{[a-zA-Z][a-zA-Z0-9]*\+?\})?(\/([a-zA-Z0-9._-]+|\{[a-zA-Z][a-zA-Z0-9]*\+?\}))*$/,
    ),
});

const scheduleTrigger = z.object({
  kind: z.literal('schedule'),
  name: z.string().regex(/^[a-zA-Z0-9_.-]{1,64}$/),
  /** EventBridge Scheduler expression: `rate(1 hour)` or `cron(...)`. */
  expression: z.string().regex(/^(rate\(\d+ (minute|minutes|hour|hours|day|days)\)|cron\(.+\))$/),
});

export const triggerSchema = z.discriminatedUnion('kind', [eventTrigger, httpTrigger, scheduleTrigger]);

const bucketPrefix = z.string().regex(/^[a-z][a-z0-9-]*\/$/, 'a top-level prefix ending in /');

export const permissionsSchema = z.object({
  table: z.enum(['none', 'read', 'readWrite']).default('none'),
  bucket: z
    .object({ read: z.array(bucketPrefix).default([]), write: z.array(bucketPrefix).default([]) })
    .default({
      read: [],
      write: [],
    }),
  sendEmail: z.boolean().default(false),
  /** Create one-time EventBridge Scheduler schedules that put events on the pipeline bus. */
  createSchedules: z.boolean().default(false),
  /** Read and redrive failure queues and the archive: the operations routes only. */
  operate: z.boolean().default(false),
});

export const functionDeclarationSchema = z.object({
  name: functionName,
  description: z.string().min(10),
  /** Handler module, relative to the repository root; it exports `handler`. */
  entry: z.string().regex(/^functions\/[a-z0-9/-]+\.ts$/),
  triggers: z.array(triggerSchema).min(1),
  environment: z.record(z.string().regex(/^[A-Z][A-Z0-9_]*$/), z.string()).default({}),
  permissions: permissionsSchema.default({
    table: 'none',
    bucket: { read: [], write: [] },
    sendEmail: false,
    createSchedules: false,
    operate: false,
  }),
  memoryMb: z.number().int().min(128).max(10_240).default(512),
  timeoutSeconds: z.number().int().min(1).max(900).default(30),
  /** Lambda asynchronous invocation: retries after a throw, then the function's own failure queue. */
  asyncInvocation: z
    .object({
      maximumRetryAttempts: z.number().int().min(0).max(2),
      maximumEventAgeSeconds: z.number().int().min(60).max(21_600),
    })
    .default({ maximumRetryAttempts: 2, maximumEventAgeSeconds: 21_600 }),
});

export const topologySchema = z.array(functionDeclarationSchema).superRefine((functions, ctx) => {
  const seen = new Map<string, string>();
  const claim = (key: string, owner: string, path: (string | number)[]) => {
    const other = seen.get(key);
    if (other)
      ctx.addIssue({ code: 'custom', path, message: `${key} is declared by both ${other} and ${owner}` });
    seen.set(key, owner);
  };
  functions.forEach((fn, i) => {
    claim(`function ${fn.name}`, fn.name, [i, 'name']);
    fn.triggers.forEach((trigger, j) => {
      const path = [i, 'triggers', j];
      if (trigger.kind === 'event') claim(`rule ${trigger.rule}`, fn.name, path);
      if (trigger.kind === 'http') claim(`route ${trigger.method} ${trigger.path}`, fn.name, path);
      if (trigger.kind === 'schedule') claim(`schedule ${trigger.name}`, fn.name, path);
    });
  });
});

export type Topology = z.infer<typeof topologySchema>;
export type FunctionDeclaration = z.infer<typeof functionDeclarationSchema>;
export type Trigger = z.infer<typeof triggerSchema>;
export type EventTrigger = Extract<Trigger, { kind: 'event' }>;
export type HttpTrigger = Extract<Trigger, { kind: 'http' }>;
export type ScheduleTrigger = Extract<Trigger, { kind: 'schedule' }>;
export type FunctionDeclarationInput = z.input<typeof functionDeclarationSchema>;

/** Validates a topology; throws a ZodError naming the path of every problem. */
export function defineTopology(functions: FunctionDeclarationInput[]): Topology {
  return topologySchema.parse(functions);
}

const pipelineFact = (types: string[], extra: Record<string, unknown> = {}) => ({
  source: [PIPELINE_SOURCE],
  'detail-type': types,
  ...extra,
});

/**
 * The pipeline. Each function is deployed by infra/ and run by local/ from this list, with no other
 * change. In S3 patterns, FILES_BUCKET stands for the deployed bucket's name (infra/ substitutes it).
 */
export const topology: Topology = defineTopology([
  {
    name: 'api',
    description: 'The HTTP API: places, processes, participants, interviews, workshops, plans, guides, tasks',
    entry: 'functions/api/handler.ts',
    triggers: apiRoutes.map((route) => ({
      kind: 'http' as const,
      method: route.method,
      path: route.path,
      auth: route.auth,
    })),
    // Erasing a participant lists and deletes their recordings, quarantined ones included. The
    // operations routes read the failure queues and redrive them to their consumers.
    permissions: {
      table: 'readWrite',
      operate: true,
      bucket: {
        read: ['reports/', 'guides/', 'recordings/', 'quarantine/'],
        write: ['recordings/', 'quarantine/'],
      },
    },
    memoryMb: 1024,
    timeoutSeconds: 29,
  },
  {
    name: 'stageEngine',
    description: 'Applies facts from other functions to the process and moves it through its stages',
    entry: 'functions/stage-engine.ts',
    triggers: [
      {
        kind: 'event',
        rule: 'stage-engine-facts',
        bus: PIPELINE_BUS,
        pattern: pipelineFact(['Interview.Recorded', 'Results.Compiled', 'Guide.Generated', 'Task.Overdue']),
      },
    ],
    permissions: { table: 'readWrite' },
  },
  {
    name: 'recordingIngest',
    description: 'Checks an uploaded recording against its interview and consent; records or quarantines it',
    entry: 'functions/recording-ingest.ts',
    triggers: [
      {
        kind: 'event',
        rule: 'recording-uploaded',
        bus: DEFAULT_BUS,
        pattern: {
          source: ['aws.s3'],
          'detail-type': ['Object Created'],
          detail: { bucket: { name: [FILES_BUCKET] }, object: { key: [{ prefix: 'recordings/' }] } },
        },
      },
    ],
    permissions: {
      table: 'readWrite',
      bucket: { read: ['recordings/'], write: ['recordings/', 'quarantine/'] },
    },
  },
  {
    name: 'resultsCompiler',
    description: 'On entering the results stage: compiles interviews and workshop into results and reports',
    entry: 'functions/results-compiler.ts',
    triggers: [
      {
        kind: 'event',
        rule: 'results-stage-started',
        bus: PIPELINE_BUS,
        pattern: pipelineFact(['Stage.Started'], { detail: { data: { stage: ['results'] } } }),
      },
    ],
    permissions: { table: 'readWrite', bucket: { read: [], write: ['reports/'] } },
    memoryMb: 1024,
    timeoutSeconds: 60,
  },
  {
    name: 'guideBuilder',
    description: 'On entering the guides stage: writes the guide of the place from its timeline',
    entry: 'functions/guide-builder.ts',
    triggers: [
      {
        kind: 'event',
        rule: 'guides-stage-started',
        bus: PIPELINE_BUS,
        pattern: pipelineFact(['Stage.Started'], { detail: { data: { stage: ['guides'] } } }),
      },
    ],
    permissions: { table: 'readWrite', bucket: { read: ['reports/'], write: ['guides/'] } },
    timeoutSeconds: 60,
  },
  {
    name: 'notifier',
    description: 'Renders and sends the emails a notification asks for, once per recipient',
    entry: 'functions/notifier.ts',
    triggers: [
      {
        kind: 'event',
        rule: 'notification-requested',
        bus: PIPELINE_BUS,
        pattern: pipelineFact(['Notification.Requested']),
      },
    ],
    permissions: { table: 'readWrite', sendEmail: true },
  },
  {
    name: 'emailFeedback',
    description: "Turns SES bounces and complaints on the notifier's emails into Notification.Failed",
    entry: 'functions/email-feedback.ts',
    triggers: [
      {
        kind: 'event',
        rule: 'email-feedback',
        bus: DEFAULT_BUS,
        pattern: { source: [SES_SOURCE], 'detail-type': [...EMAIL_FEEDBACK_TYPES] },
      },
    ],
    permissions: { table: 'readWrite' },
  },
  {
    name: 'taskReminders',
    description: 'Schedules a reminder at each task due date; reports the task overdue if still open then',
    entry: 'functions/task-reminders.ts',
    triggers: [
      { kind: 'event', rule: 'task-created', bus: PIPELINE_BUS, pattern: pipelineFact(['Task.Created']) },
      {
        kind: 'event',
        rule: 'task-due',
        bus: PIPELINE_BUS,
        pattern: { source: [SCHEDULER_SOURCE], 'detail-type': ['Task.DueReached'] },
      },
    ],
    permissions: { table: 'readWrite', createSchedules: true },
  },
]);
