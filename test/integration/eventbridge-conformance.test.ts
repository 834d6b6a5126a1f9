/**
 * Every AWS-validated pattern case of ../shared/conformance, through TestEventPattern over HTTP with
 * the real @aws-sdk/client-eventbridge: the local bus answers as AWS did.
 */
import { readFileSync } from 'node:fs';
import { EventBridgeClient, TestEventPatternCommand } from '@aws-sdk/client-eventbridge';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type LocalEventBridge, startEventBridge } from '../../local/eventbridge/service.ts';

interface ConformanceCase {
  name: string;
  pattern: unknown;
  event: unknown;
  expected: boolean | 'InvalidEventPatternException';
}

const cases: ConformanceCase[] = JSON.parse(
  readFileSync(new URL('../../../shared/conformance/eventbridge-patterns.json', import.meta.url), 'utf8'),
);

let bus: LocalEventBridge;
let client: EventBridgeClient;

beforeAll(async () => {
  bus = await startEventBridge({
    lambda: { invokeAsync: async () => ({ requestId: 'unused' }) },
    topology: [],
  });
  client = new EventBridgeClient({
    endpoint: bus.endpoint,
    region: 'eu-north-1',
    credentials: { accessKeyId: 'conformance', secretAccessKey: 'conformance' },
  });
});
afterAll(() => bus?.stop());

describe('EventBridge pattern conformance over HTTP (TestEventPattern)', () => {
  it('has all 172 AWS-validated cases', () => {
    expect(cases).toHaveLength(172);
  });

  it.each(cases.map((c) => [c.name, c] as const))('%s', async (_, c) => {
    const send = client.send(
      new TestEventPatternCommand({
        EventPattern: JSON.stringify(c.pattern),
        Event: JSON.stringify(c.event),
      }),
    );
    if (c.expected === 'InvalidEventPatternException') {
      await expect(send).rejects.toMatchObject({ name: 'InvalidEventPatternException' });
    } else {
      expect((await send).Result).toBe(c.expected);
    }
  });
});
