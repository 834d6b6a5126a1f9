/**
 * A no-op target for the bus benchmarks: notes how long the event took from the moment the sender
 * stamped it (`detail.sentAt`, epoch ms with sub-ms precision) to this handler starting.
 */
import { appendFileSync } from 'node:fs';

export async function handler(event: {
  detail?: { sentAt?: number; data?: { sentAt?: number } };
}): Promise<void> {
  const startedAt = performance.timeOrigin + performance.now();
  const sentAt = event.detail?.sentAt ?? event.detail?.data?.sentAt;
  const file = process.env.BENCH_LATENCY_FILE;
  if (file && typeof sentAt === 'number') appendFileSync(file, `${(startedAt - sentAt).toFixed(3)}\n`);
}
