import { describe, expect, it } from 'vitest';
import { ManualClock } from '../../local/clock.ts';
import { redeliveringInvoker } from '../../local/eventbridge/redelivery.ts';

describe('redelivering invoker', () => {
  it('delivers every event twice, each after its own delay, so later events can overtake earlier ones', async () => {
    const clock = new ManualClock();
    const delivered: string[] = [];
    const delays = [0.9, 0.1, 0.5, 0.0];
    const invoker = redeliveringInvoker(
      { invokeAsync: async (_fn, event) => delivered.push(event as string) },
      clock,
      { copies: 2, maxDelayMs: 100, random: () => delays.shift() ?? 0 },
    );
    const first = invoker.invokeAsync('stageEngine', 'a');
    const second = invoker.invokeAsync('stageEngine', 'b');
    clock.advance(100);
    await Promise.all([first, second]);
    expect(delivered).toEqual(['b', 'a', 'b', 'a']);
  });
});
