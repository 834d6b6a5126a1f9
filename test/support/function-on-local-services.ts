/**
 * Runs one function's handler in the test process against the local runtime's real services (DynamoDB
 * Local, S3, SES, Scheduler): the environment is set before the handler module is imported, because the
 * clients read their endpoints when first created. Writes processes as the API and other functions do.
 */
import type { Context } from 'aws-lambda';
import { afterAll, beforeAll } from 'vitest';
import type { PipelineEvent } from '../../events/catalog.ts';
import { PIPELINE_SOURCE, type Topology } from '../../functions/topology.ts';
import { type LocalCloud, startLocalCloud } from '../../local/cloud.ts';
import { handle, type Input } from '../../shared/domain/process.ts';
import { changeProcess } from '../../shared/store/process-store.ts';

export function functionOnLocalServices<M>(options: {
  functionName: string;
  load: () => Promise<M>;
  /** Functions the runtime itself runs (e.g. the API, so links in emails open); none by default. */
  topology?: Topology;
  remainingMs?: number;
}) {
  let cloud: LocalCloud | undefined;
  beforeAll(async () => {
    cloud = await startLocalCloud({ topology: options.topology ?? [] });
    Object.assign(process.env, cloud.environment, { POWERTOOLS_LOG_LEVEL: 'ERROR' });
  });
  afterAll(() => cloud?.stop());

  const local = () => {
    if (!cloud) throw new Error('the local runtime has not started');
    return cloud;
  };
  const context = {
    functionName: options.functionName,
    awsRequestId: 'it-1',
    getRemainingTimeInMillis: () => options.remainingMs ?? 60_000,
  } as Context;
  const runtime = async () => ({
    ...(await options.load()),
    ...(await import('../../shared/runtime/clients.ts')),
  });

  /** Commands as the API writes them, and facts as another function reports them (handled, in the inbox). */
  async function apply(ids: { orgId: string; processId: string }, inputs: Input[]): Promise<PipelineEvent[]> {
    const { processes } = await runtime();
    const emitted: PipelineEvent[] = [];
    for (const input of inputs) {
      const result = await changeProcess(
        processes(),
        ids,
        (current) => {
          const next = handle(current?.state, input);
          return { state: next.state, emitted: next.events };
        },
        input.kind === 'fact' ? { handled: input.event } : {},
      );
      emitted.push(...result.emitted);
    }
    return emitted;
  }

  /** The event as the bus delivers it to a target. */
  const busEvent = (event: PipelineEvent) => ({
    version: '0',
    id: `it-${event.metadata.id}`,
    'detail-type': event.metadata.type,
    source: PIPELINE_SOURCE,
    account: '000000000000',
    time: event.metadata.occurredAt,
    region: local().endpoints.region,
    resources: [],
    detail: event,
  });

  return { cloud: local, context, runtime, apply, busEvent };
}
