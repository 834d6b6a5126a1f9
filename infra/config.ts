/**
 * Deployment configuration, read from CDK context (`-c key=value` or cdk.json's "context"). Every key
 * has a default so `npx cdk synth` works on a fresh clone; infra/README.md lists them.
 */
import type { Node } from 'constructs';
import * as z from 'zod';

const days = (fallback: number, max = 36_500) => z.coerce.number().int().min(1).max(max).default(fallback);
/** Context values given with `-c` arrive as strings: '' means "not set". */
const optionalText = z
  .string()
  .trim()
  .optional()
  .transform((value) => (value ? value : undefined));
const list = z
  .union([z.array(z.string()), z.string()])
  .optional()
  .transform((value) =>
    (Array.isArray(value) ? value : (value ?? '').split(','))
      .map((item) => item.trim())
      .filter((item) => item.length > 0),
  );

export const configSchema = z
  .object({
    /** Deployment name; the stack is `samskapa-<stage>` and every physical name starts with it. */
    stage: z
      .string()
      .regex(/^[a-z][a-z0-9-]{0,14}$/, 'lowercase letters, digits and dashes, at most 15 characters')
      .default('dev'),
    region: z.string().default('eu-north-1'),
    /** Recordings (the `recordings/` prefix) are deleted this many days after upload. */
    recordingsRetentionDays: days(365),
    /** Superseded object versions in the files bucket are deleted after this many days. */
    noncurrentVersionDays: days(30),
    /** The bus archive keeps events this many days; 0 keeps them for ever. */
    archiveRetentionDays: z.coerce.number().int().min(0).max(36_500).default(365),
    /** Function, API, pipe and event-log log groups. */
    logRetentionDays: days(90),
    /** S3 server access logs and CloudFront logs. */
    accessLogRetentionDays: days(365),
    /** SES identity: a domain (`example.org`) or an address (`ops@example.org`). */
    emailIdentity: z.string().trim().min(3).default('example.com'),
    /** The From address of every email; defaults to `noreply@<domain>` or the address itself. */
    emailFrom: optionalText,
    /** Alarm notifications go to this address (an SNS email subscription) when set. */
    alarmEmail: optionalText,
    /** An external JWT issuer (and its audience) instead of the Cognito user pool the stack creates. */
    jwtIssuer: optionalText,
    jwtAudience: list,
    /** Origins besides the console's CloudFront URL that may call the API (e.g. http://localhost:5173). */
    extraCorsOrigins: list,
    apiRateLimit: z.coerce.number().int().min(1).max(10_000).default(50),
    apiBurstLimit: z.coerce.number().int().min(1).max(5_000).default(100),
    /** Powertools log level of every function. */
    logLevel: z.enum(['DEBUG', 'INFO', 'WARN', 'ERROR']).default('INFO'),
    /** The console's built files; a placeholder page is deployed when the folder does not exist. */
    consoleDist: z.string().default('console/dist'),
  })
  .superRefine((config, ctx) => {
    if (config.jwtIssuer && config.jwtAudience.length === 0) {
      ctx.addIssue({ code: 'custom', path: ['jwtAudience'], message: 'jwtIssuer needs jwtAudience' });
    }
  });

export type SamskapaConfig = z.infer<typeof configSchema>;
export type SamskapaConfigInput = z.input<typeof configSchema>;

export const CONFIG_KEYS = Object.keys(configSchema.shape) as (keyof SamskapaConfig)[];

/** Reads every key from the context of `node`; throws naming the key when a value is invalid. */
export function readConfig(node: Node): SamskapaConfig {
  const raw: Record<string, unknown> = {};
  for (const key of CONFIG_KEYS) {
    const value: unknown = node.tryGetContext(key);
    if (value !== undefined && value !== null) raw[key] = value;
  }
  const parsed = configSchema.safeParse(raw);
  if (!parsed.success) {
    const problems = parsed.error.issues.map((issue) => `${issue.path.join('.')}: ${issue.message}`);
    throw new Error(`invalid CDK context for samskapa: ${problems.join('; ')}`);
  }
  return parsed.data;
}

/** The default From address for an identity: the address itself, or noreply@ the domain. */
export function defaultSender(identity: string): string {
  return identity.includes('@') ? identity : `noreply@${identity}`;
}
