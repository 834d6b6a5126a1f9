/**
 * The results compiler against the local runtime with the real SDK: a process written through the
 * engine and the store reaches the results stage; the compiler writes the three report files to S3
 * and reports Results.Compiled, with the row its report link opens, once, however often the stage
 * start is delivered.
 */
import { GetObjectCommand } from '@aws-sdk/client-s3';
import { describe, expect, it } from 'vitest';
import { isEvent } from '../../events/catalog.ts';
import type { Input } from '../../shared/domain/process.ts';
import { Directory } from '../../shared/store/directory.ts';
import { functionOnLocalServices } from '../support/function-on-local-services.ts';
import {
  closeWorkshop,
  command,
  participant,
  registerInterview,
  scheduleWorkshop,
  startCommand,
} from '../support/process.ts';

const ids = { orgId: 'org-jh', processId: 'proc-hede' };
const {
  cloud,
  context,
  runtime,
  busEvent,
  apply: applyTo,
} = functionOnLocalServices({
  functionName: 'resultsCompiler',
  load: () => import('../../functions/results-compiler.ts'),
  remainingMs: 60000,
});
const apply = (inputs: Input[]) => applyTo(ids, inputs);

describe('results compiler on the local runtime', () => {
  it('writes report.md, report.html and results.json to S3 and reports Results.Compiled once', async () => {
    const emitted = await apply([
      startCommand({ minimumInterviews: 3 }),
      ...[0, 1, 2].flatMap((i) => [
        participant(i),
        registerInterview(i),
        command({
          type: 'summariseInterview',
          interviewId: `i-${i}`,
          needs: ['En mötesplats för unga'],
          wishes: ['Rusta upp badplatsen'],
          challenges: ['Bussen går för sällan'],
          quotes: [`Citat ${i}: vi behöver ses.`],
          themes: i === 2 ? ['kommunikationer'] : ['mötesplatser', 'kommunikationer'],
        }),
      ]),
      scheduleWorkshop,
      closeWorkshop,
    ]);
    const started = emitted.find((e) => isEvent(e, 'Stage.Started') && e.data.stage === 'results');
    if (!started) throw new Error('the process did not reach the results stage');

    const { handler, reportKeys, s3Client, processes, documentClient } = await runtime();
    // Delivered twice, as EventBridge may: the second is a duplicate and leaves the report link alone.
    await handler(busEvent(started), context);
    const link = await new Directory(documentClient(), cloud().endpoints.table).reportLink(
      ids.orgId,
      ids.processId,
    );
    await handler(busEvent(started), context);

    const keys = reportKeys('org-jh', 'hede', 'proc-hede');
    const read = async (key: string) => {
      const object = await s3Client().send(
        new GetObjectCommand({ Bucket: cloud().endpoints.bucket, Key: key }),
      );
      return { type: object.ContentType, body: (await object.Body?.transformToString('utf-8')) ?? '' };
    };
    const markdown = await read(keys.markdown);
    const html = await read(keys.html);
    const json = await read(keys.json);
    expect(markdown.type).toBe('text/markdown; charset=utf-8');
    expect(markdown.body).toMatch(/^# Resultat för Hede/);
    expect(markdown.body).toContain('| 1 | friluftsliv | 0 | 12 |');
    expect(markdown.body).toContain('> Citat 2: vi behöver ses.\n> — Kommun, 65 år och äldre');
    expect(html.type).toBe('text/html; charset=utf-8');
    expect(html.body).toContain('<svg class="chart"');
    expect(JSON.parse(json.body)).toMatchObject({ interviews: 3, ideas: 1, processId: 'proc-hede' });

    const timeline = await processes().timeline(ids.orgId, ids.processId);
    const compiled = timeline.filter((e) => isEvent(e, 'Results.Compiled'));
    expect(compiled).toHaveLength(1);
    expect(compiled[0]?.metadata).toMatchObject({
      causationId: started.metadata.id,
      actor: { kind: 'system', id: 'resultsCompiler' },
    });
    expect(compiled[0]?.data).toMatchObject({ interviews: 3, reportKeys: keys });

    expect(link).toEqual({ nonce: expect.stringMatching(/^[A-Za-z0-9_-]{22}$/), keys });
    expect(
      await new Directory(documentClient(), cloud().endpoints.table).reportLink(ids.orgId, ids.processId),
    ).toEqual(link);
  });
});
