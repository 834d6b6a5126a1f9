/**
 * The topology: every function of the pipeline, what triggers it, what it may touch and how its
 * failures are handled. Declared once; the CDK stack (infra/), the local runtime (local/), the tests
 * and the event catalog page all read this declaration, so cloud and local cannot drift.
 */
import { z } from 'zod';

/** The custom bus that carries the pipeline's domain events (published from the outbox). */
export const PIPELINE_BUS = 'samskapa';
/** S3 "Object Created" notifications arrive on the account's default bus, as on AWS. */
export const DEFAULT_BUS = 'default';
/** The `source` of every domain event the outbox pipe publishes. */
export const PIPELINE_SOURCE = 'samskapa.pipeline';
/** The bucket for recordings, reports and guides (on AWS the name carries the stack). */
export const FILES_BUCKET = 'samskapa-files';

/** How every function finds its resources: the same variables are set by infra/ and by local/. */
export const RESOURCE_ENVIRONMENT = {
  tableName: 'TABLE_NAME',
  bucketName: 'BUCKET_NAME',
  eventBusName: 'EVENT_BUS_NAME',
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

/**
 * The pipeline. Functions join this list as they are built; each is then deployed by infra/ and run
 * by local/ with no other change.
 */
export const topology: Topology = defineTopology([]);
