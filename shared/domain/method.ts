/**
 * A method is data: its stages in order, what each stage opens for work (activities), the tasks
 * created on entry, the declarative exit criteria and the emails sent on start and completion.
 * Smarta Orter and its sister methods (Vuorovaikutteinen tilannekuva, Samskapandeprocessen,
 * Medborgardriven utveckling, Idésluss) are all instances of this schema.
 */
import * as z from 'zod';
import { Template } from '../../events/catalog.ts';
import { Localized, Role, Sector } from '../../events/vocabulary.ts';

/** What may be done in a stage; a command outside its stage's activities is rejected. */
export const activities = ['interviews', 'workshops', 'results', 'plans', 'guides'] as const;
export const Activity = z.enum(activities);
export type Activity = z.infer<typeof Activity>;

/** Facts the exit criteria can count. Counts are cumulative over the process, so order never matters. */
export const countableFacts = [
  'Participant.Registered',
  'Interview.Recorded',
  'Interview.Summarised',
  'Workshop.Closed',
  'Results.Compiled',
  'Plan.Proposed',
  'Plan.Approved',
  'Plan.Completed',
  'Reflection.Recorded',
  'Guide.Generated',
  'Guide.Published',
] as const;
export const CountableFact = z.enum(countableFacts);
export type CountableFact = z.infer<typeof CountableFact>;

const parameterName = z.string().regex(/^[a-z][a-zA-Z0-9]{1,39}$/);
const Threshold = z.union([z.number().int().min(1), z.object({ parameter: parameterName })]);

export const Criterion = z.discriminatedUnion('kind', [
  /** At least N distinct facts of a type, e.g. 8 summarised interviews. */
  z.object({ kind: z.literal('count'), fact: CountableFact, atLeast: Threshold }),
  /** A facilitator confirmed the stage (Stage.Confirmed). */
  z.object({ kind: z.literal('confirmed') }),
  /** Workshop attendance summed over closed workshops, optionally with every listed sector present. */
  z.object({ kind: z.literal('attendance'), atLeast: Threshold, sectors: z.array(Sector).default([]) }),
]);
export type Criterion = z.infer<typeof Criterion>;

const Notification = z.object({ template: Template, audience: z.array(Role).min(1) });

export const Stage = z.object({
  key: z.string().regex(/^[a-z][a-z0-9-]{1,39}$/),
  name: Localized,
  description: Localized,
  activities: z.array(Activity).default([]),
  entryTasks: z
    .array(
      z.object({
        key: z.string().regex(/^[a-z][a-zA-Z0-9-]{1,59}$/),
        title: Localized,
        role: Role,
        /** Due this many days after the stage starts. */
        dueInDays: z.number().int().min(0).max(365),
      }),
    )
    .default([]),
  /** All must hold for the stage to complete by itself. */
  exitCriteria: z.array(Criterion).min(1),
  /** Whether a facilitator may complete the stage by hand, with a reason. */
  manualCompletion: z.boolean().default(false),
  notifications: z
    .object({ onStart: z.array(Notification).default([]), onComplete: z.array(Notification).default([]) })
    .default({ onStart: [], onComplete: [] }),
});
export type Stage = z.infer<typeof Stage>;

export const Method = z
  .object({
    key: z.string().regex(/^[a-z][a-z0-9-]{1,39}$/),
    version: z.number().int().min(1),
    name: Localized,
    summary: Localized,
    /** Where the method comes from (the seed text it is built on). */
    origin: z.string().min(1),
    parameters: z
      .record(
        parameterName,
        z.object({
          default: z.number().int(),
          min: z.number().int(),
          max: z.number().int(),
          label: Localized,
        }),
      )
      .default({}),
    stages: z.array(Stage).min(1).max(20),
  })
  .superRefine((method, ctx) => {
    const keys = method.stages.map((stage) => stage.key);
    if (new Set(keys).size !== keys.length) {
      ctx.addIssue({ code: 'custom', path: ['stages'], message: 'stage keys must be unique' });
    }
    for (const [name, parameter] of Object.entries(method.parameters)) {
      if (!(parameter.min <= parameter.default && parameter.default <= parameter.max)) {
        ctx.addIssue({
          code: 'custom',
          path: ['parameters', name],
          message: 'default must lie within min..max',
        });
      }
    }
    method.stages.forEach((stage, i) => {
      stage.exitCriteria.forEach((criterion, j) => {
        if ('atLeast' in criterion && typeof criterion.atLeast === 'object') {
          if (!(criterion.atLeast.parameter in method.parameters)) {
            ctx.addIssue({
              code: 'custom',
              path: ['stages', i, 'exitCriteria', j, 'atLeast', 'parameter'],
              message: `unknown parameter ${criterion.atLeast.parameter}`,
            });
          }
        }
      });
    });
  });
export type Method = z.infer<typeof Method>;
export type MethodInput = z.input<typeof Method>;

export function defineMethod(method: MethodInput): Method {
  return Method.parse(method);
}
