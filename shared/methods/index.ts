/** The built-in methods, by key. The sister methods join this list as they are defined. */
import { UnknownMethodError } from '../domain/errors.ts';
import type { Method } from '../domain/method.ts';
import { smartaOrter } from './smarta-orter.ts';

export const methods: ReadonlyMap<string, Method> = new Map([[smartaOrter.key, smartaOrter]]);

export function methodByKey(key: string): Method {
  const method = methods.get(key);
  if (!method) throw new UnknownMethodError(key, [...methods.keys()]);
  return method;
}

export { smartaOrter };
