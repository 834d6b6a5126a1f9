/**
 * At-least-once, made visible: EventBridge may deliver an event more than once and in any order.
 * This invoker decorator does both on purpose (every delivery twice, each after a random delay), so
 * tests can prove that state, files and emails do not double and do not depend on order.
 */
import type { Clock } from '../clock.ts';
import type { LambdaInvoker } from './bus.ts';

export interface RedeliveryOptions {
  /** Deliver every event this many times (2 = once more). */
  copies: number;
  /** Each copy waits a random 0..maxDelayMs, so events overtake each other. */
  maxDelayMs: number;
  random?: () => number;
}

export function redeliveringInvoker(
  inner: LambdaInvoker,
  clock: Clock,
  options: RedeliveryOptions,
): LambdaInvoker {
  const random = options.random ?? Math.random;
  return {
    async invokeAsync(functionName, event) {
      const copies = Array.from(
        { length: options.copies },
        () =>
          new Promise<unknown>((resolve, reject) => {
            clock.setTimeout(
              () => {
                inner.invokeAsync(functionName, event).then(resolve, reject);
              },
              Math.floor(random() * options.maxDelayMs),
            );
          }),
      );
      // The bus only needs the first hand-over to succeed; the others are the redeliveries.
      return Promise.any(copies);
    },
  };
}
