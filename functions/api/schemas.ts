/** The request pieces several routes share: path parameters, pagination, texts. */
import { monotonicFactory } from 'ulid';
import * as z from 'zod';
import { Id } from '../../events/envelope.ts';
import { methodByKey, methods } from '../../shared/methods/index.ts';

export { Id };
export const Text = (max: number) => z.string().trim().min(1).max(max);
export const Email = z.email().max(254);

export const ProcessParams = z.object({ processId: Id });
export const params = <const K extends string>(...names: K[]) =>
  z.object(Object.fromEntries(names.map((name) => [name, Id])) as Record<K, typeof Id>);

export const StageKey = z.string().regex(/^[a-z][a-z0-9-]{1,39}$/, 'a stage key');

/** Lists answer a page and, when there is more, an opaque cursor for the next one. */
export const Page = z.object({
  limit: z.coerce.number().int().min(1).max(100).default(50),
  cursor: z.string().max(2048).optional(),
});

const monotonic = monotonicFactory();
/** New ids: ULIDs, lowercase (they sort by time and fit the Id pattern). */
export const newId = () => monotonic().toLowerCase();

/** Board filters: a known method, and a stage only together with a method that has it. */
export function refineMethodStage(
  query: { method?: string | undefined; stage?: string | undefined },
  ctx: z.RefinementCtx,
) {
  if (query.method !== undefined && !methods.has(query.method)) {
    ctx.addIssue({
      code: 'custom',
      path: ['method'],
      message: `unknown method (known: ${[...methods.keys()].join(', ')})`,
    });
    return;
  }
  if (query.stage === undefined) return;
  if (query.method === undefined) {
    ctx.addIssue({ code: 'custom', path: ['stage'], message: 'a stage filter needs the method' });
    return;
  }
  if (!methodByKey(query.method).stages.some((s) => s.key === query.stage))
    ctx.addIssue({ code: 'custom', path: ['stage'], message: `${query.method} has no stage ${query.stage}` });
}
