/**
 * The AWS CLI works against the local runtime unchanged (README: "Talking to it with the AWS CLI").
 * Needs `aws` on PATH: .ci/run installs Debian's awscli.
 */
import { execFile } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type LocalCloud, startLocalCloud } from '../../local/cloud.ts';

const exec = promisify(execFile);
let cloud: LocalCloud;

/** Runs the AWS CLI asynchronously: a synchronous call would block the servers it talks to. */
async function aws(service: string, endpoint: string, args: string[]) {
  const { stdout } = await exec('aws', ['--endpoint-url', endpoint, '--output', 'json', service, ...args], {
    env: {
      ...process.env,
      ...cloud.environment,
      AWS_CONFIG_FILE: '/dev/null',
      AWS_PAGER: '',
      AWS_EC2_METADATA_DISABLED: 'true',
    },
  });
  return stdout.trim() ? JSON.parse(stdout) : {};
}

beforeAll(async () => {
  cloud = await startLocalCloud({ topology: [] });
});
afterAll(() => cloud?.stop());

describe('the AWS CLI against the local runtime', () => {
  it('events put-events and test-event-pattern', async () => {
    const entries = JSON.stringify([
      {
        Source: 'samskapa.cli-test',
        DetailType: 'Cli.Tested',
        Detail: '{"ok":true}',
        EventBusName: 'samskapa',
      },
    ]);
    const put = await aws('events', cloud.endpoints.eventbridge, ['put-events', '--entries', entries]);
    expect(put.FailedEntryCount).toBe(0);
    expect(put.Entries[0].EventId).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/);
    const event = JSON.stringify({
      id: '1',
      source: 'samskapa.pipeline',
      'detail-type': 'Workshop.Closed',
      account: '000000000000',
      region: 'eu-north-1',
      time: '2026-04-14T19:00:00Z',
      detail: {},
    });
    const test = await aws('events', cloud.endpoints.eventbridge, [
      'test-event-pattern',
      '--event-pattern',
      '{"detail-type":[{"prefix":"Workshop."}]}',
      '--event',
      event,
    ]);
    expect(test.Result).toBe(true);
  });

  it('s3 cp and dynamodb scan', async () => {
    const file = join(mkdtempSync(join(tmpdir(), 'samskapa-cli-')), 'intervju.txt');
    writeFileSync(file, 'Transkription av intervju 1');
    await exec(
      'aws',
      [
        '--endpoint-url',
        cloud.endpoints.s3,
        's3',
        'cp',
        file,
        `s3://${cloud.endpoints.bucket}/recordings/cli/intervju.txt`,
      ],
      {
        env: { ...process.env, ...cloud.environment, AWS_CONFIG_FILE: '/dev/null' },
      },
    );
    const listed = await aws('s3api', cloud.endpoints.s3, [
      'list-objects-v2',
      '--bucket',
      cloud.endpoints.bucket,
    ]);
    expect(listed.Contents.map((o: { Key: string }) => o.Key)).toContain('recordings/cli/intervju.txt');
    const scan = await aws('dynamodb', cloud.endpoints.dynamodb, [
      'scan',
      '--table-name',
      cloud.endpoints.table,
    ]);
    expect(scan.Count).toBe(0);
  });

  it('sesv2 send-email writes the message to the outbox', async () => {
    const sent = await aws('sesv2', cloud.endpoints.ses, [
      'send-email',
      '--from-email-address',
      'noreply@samskapa.example',
      '--destination',
      'ToAddresses=facilitator@example.org',
      '--content',
      'Simple={Subject={Data=Intervjuerna är klara},Body={Text={Data=Alla åtta intervjuer är sammanfattade.}}}',
    ]);
    expect(sent.MessageId).toMatch(/^[0-9a-f]{16}-[0-9a-f-]{36}-000000$/);
    expect(cloud.ses.metrics().sent).toBe(1);
  });
});
