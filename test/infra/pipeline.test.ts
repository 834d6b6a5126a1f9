/**
 * The stack as `npx cdk deploy` builds it: from the real topology (functions/topology.ts), bundled
 * with the local esbuild, checked by cdk-nag. It must agree with the local runtime, and every
 * function's minified bundle must stay within the budget; the sizes are recorded in
 * bench/results/bundle-sizes.json. Functions whose handler file is not written yet are listed as
 * todo and left out until it exists.
 */
import { existsSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { topology } from '../../functions/topology.ts';
import { REPOSITORY_ROOT } from '../../infra/pipeline-functions.ts';
import { localView, normalized, templateView } from './agreement.ts';
import { unjustified } from './justified-wildcards.ts';
import { resourcesOf, type Synthesized, synthesize } from './synth.ts';

/**
 * The bundle budget of one function (minified JavaScript, source map not counted). It started at
 * 600 KB. With the AWS SDK bundled (so deployed versions match the tests) the SDK is 350-450 KB of
 * each bundle: the lean functions (stage engine, task reminders) are ~505 KB, the notifier (SESv2 and
 * nodemailer) ~760 KB and the API ~845 KB since the operations routes read the failure queues,
 * redrive them and read the functions' CloudWatch metrics (client-sqs ~25 KB; client-lambda ~71 KB,
 * its schema carries every shape of the Lambda API though only Invoke is used; client-cloudwatch
 * ~24 KB). The budget is 850 KB, just above the largest, so growth is
 * noticed; `npm run bench` records each bundle and its largest parts in
 * bench/results/bundle-sizes.json. Bringing the API and the notifier under 600 KB is follow-up work.
 */
const BUNDLE_BUDGET_BYTES = 850 * 1024;
const PREFIX = 'samskapa-dev-';
const _RESULTS = join(REPOSITORY_ROOT, 'bench', 'results', 'bundle-sizes.json');

const written = topology.filter((fn) => existsSync(join(REPOSITORY_ROOT, fn.entry)));
const notWritten = topology.filter((fn) => !written.includes(fn));

let synthesized: Synthesized;

beforeAll(() => {
  synthesized = synthesize({ topology: written });
}, 300_000);
afterAll(() => synthesized?.cleanup());

describe('the stack of the real pipeline', () => {
  for (const fn of notWritten) it.todo(`deploys ${fn.name} once ${fn.entry} exists`);

  it('synthesizes with cdk-nag and CloudFormation validation clean', () => {
    expect(synthesized.violations).toEqual([]);
    expect(synthesized.messages.filter((m) => m.level !== 'info')).toEqual([]);
  });

  it('has no wildcard in any policy without a written justification', () => {
    expect(unjustified(synthesized.template).unjustified).toEqual([]);
  });

  it('deploys every written function of the topology', () => {
    const names = resourcesOf(synthesized.template, 'AWS::Lambda::Function')
      .map(([, p]) => p.FunctionName)
      .filter((name): name is string => typeof name === 'string' && name.startsWith(PREFIX));
    expect(names.sort()).toEqual(written.map((fn) => `${PREFIX}${fn.name}`).sort());
  });

  it('agrees with the local runtime on functions, rules, patterns and routes', async () => {
    const local = normalized(await localView(written));
    const cloud = normalized(templateView(synthesized.template, PREFIX, 'samskapa-dev'));
    expect(cloud).toEqual(local);
  });

  it(`keeps every function's minified bundle under ${BUNDLE_BUDGET_BYTES / 1024} KB`, () => {
    const sizes: Record<string, number> = {};
    for (const [id, resource] of Object.entries(synthesized.template.Resources)) {
      const name = resource.Properties?.FunctionName;
      if (resource.Type !== 'AWS::Lambda::Function' || typeof name !== 'string' || !name.startsWith(PREFIX))
        continue;
      const assetPath = resource.Metadata?.['aws:asset:path'];
      expect(assetPath, `asset of ${id}`).toBeTypeOf('string');
      sizes[name.slice(PREFIX.length)] = statSync(
        join(synthesized.assemblyDir, assetPath as string, 'index.mjs'),
      ).size;
    }
    expect(Object.keys(sizes).sort()).toEqual(written.map((fn) => fn.name).sort());
    const over = Object.entries(sizes).filter(([, bytes]) => bytes > BUNDLE_BUDGET_BYTES);
    expect(
      over.map(
        ([name, bytes]) => `${name}: ${kilobytes(bytes)} KB (npm run bench records what it is made of)`,
      ),
    ).toEqual([]);
  });
});

const kilobytes = (bytes: number) => Math.round(bytes / 102.4) / 10;
