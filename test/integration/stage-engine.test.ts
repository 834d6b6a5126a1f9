/**
 * The stage engine on the local runtime, for real: a fact reported to the outbox travels through the
 * table stream, the outbox pipe and the bus to the stage engine, which moves the process on, once.
 */

import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { PipelineEvent } from '../../events/catalog.ts';
import * as E from '../../events/catalog.ts';
import { topology } from '../../functions/topology.ts';
import { bundleFunctions } from '../../local/bundle.ts';
import { type LocalCloud, startLocalCloud } from '../../local/cloud.ts';
import { handle } from '../../shared/domain/process.ts';
import { changeProcess, ProcessStore } from '../../shared/store/process-store.ts';
import {
  closeWorkshop,
  participant,
  registerInterview,
  scheduleWorkshop,
  startCommand,
  summarise,
} from '../support/process.ts';

let cloud: LocalCloud;
let store: ProcessStore;
const ids = { orgId: 'org-jh', processId: 'proc-hede' };

beforeAll(async () => {
  cloud = await startLocalCloud({ topology: topology.filter((fn) => fn.name === 'stageEngine') });
  const client = new DynamoDBClient({
    endpoint: cloud.endpoints.dynamodb,
    region: cloud.endpoints.region,
    credentials: { accessKeyId: cloud.environment.AWS_ACCESS_KEY_ID ?? '', secretAccessKey: 'x' },
  });
  store = new ProcessStore(DynamoDBDocumentClient.from(client), cloud.endpoints.table);
});
afterAll(() => cloud?.stop());

async function eventually<T>(read: () => Promise<T>, until: (value: T) => boolean, ms = 15_000): Promise<T> {
  const deadline = Date.now() + ms;
  for (;;) {
    const value = await read();
    if (until(value) || Date.now() > deadline) return value;
    await new Promise((r) => setTimeout(r, 100));
  }
}

describe('stage engine on the local runtime', () => {
  it('runs from its esbuild bundle, exactly as deployed', async () => {
    const declared = topology.filter((fn) => fn.name === 'stageEngine');
    const bundles = await bundleFunctions(declared, mkdtempSync(join(tmpdir(), 'samskapa-bundle-')));
    const bundled = await startLocalCloud({ topology: declared, bundles });
    try {
      // An event for a process that does not exist: the bundled handler runs, validates and throws.
      await expect(
        bundled.lambda.invokeSync('stageEngine', {
          version: '0',
          id: 'x',
          'detail-type': 'Results.Compiled',
          source: 'samskapa.pipeline',
          account: '000000000000',
          time: new Date().toISOString(),
          region: 'eu-north-1',
          resources: [],
          detail: E.ResultsCompiled.create({
            metadata: {
              orgId: 'org-none',
              placeId: 'nowhere',
              processId: 'proc-none',
              correlationId: 'c',
              causationId: 'c',
              actor: { kind: 'system', id: 'test' },
            },
            data: E.ResultsCompiled.example,
          }),
        }),
      ).rejects.toMatchObject({ errorType: 'NotFoundError' });
    } finally {
      await bundled.stop();
    }
  });

  it('moves a process from results to plans when the results compiler reports, exactly once', async () => {
    // The process reaches the results stage through commands, as the API would write it.
    const inputs = [
      startCommand({ minimumInterviews: 2 }),
      ...[0, 1].flatMap((i) => [participant(i), registerInterview(i), summarise(i)]),
      scheduleWorkshop,
      closeWorkshop,
    ];
    for (const input of inputs) {
      await changeProcess(store, ids, (current) => {
        const next = handle(current?.state, input);
        return { state: next.state, emitted: next.events };
      });
    }
    const before = await store.load(ids.orgId, ids.processId);
    expect(before?.state.stageIndex).toBe(2);

    const state = before?.state;
    if (!state) throw new Error('no process');
    const compiled = E.ResultsCompiled.create({
      metadata: {
        orgId: state.orgId,
        placeId: state.placeId,
        processId: state.processId,
        correlationId: state.correlationId,
        causationId: 'stage-started',
        actor: { kind: 'system', id: 'resultsCompiler' },
        depth: 1,
      },
      data: E.ResultsCompiled.example,
    }) as PipelineEvent;
    // Reported twice, as a redelivered compiler would: the engine applies it once.
    expect(await store.report({ ...ids, emitted: [compiled] })).toMatchObject({ outcome: 'committed' });

    const after = await eventually(
      () => store.load(ids.orgId, ids.processId),
      (p) => p?.state.stageIndex === 3,
    );
    expect(after?.state.stageIndex).toBe(3);
    const timeline = await store.timeline(ids.orgId, ids.processId);
    const types = timeline.map((e) => e.metadata.type);
    expect(types.filter((t) => t === 'Stage.Started')).toHaveLength(4);
    expect(types.filter((t) => t === 'Results.Compiled')).toHaveLength(1);

    // Redeliver the same fact straight to the engine: nothing changes.
    await cloud.lambda.invokeSync('stageEngine', {
      version: '0',
      id: 'redelivery',
      'detail-type': 'Results.Compiled',
      source: 'samskapa.pipeline',
      account: '000000000000',
      time: new Date().toISOString(),
      region: 'eu-north-1',
      resources: [],
      detail: compiled,
    });
    const again = await store.load(ids.orgId, ids.processId);
    expect(again?.version).toBe(after?.version);
  });
});
