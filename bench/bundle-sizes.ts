/**
 * `npm run bench` (part): each function's minified bundle as deployed (the same esbuild settings as
 * infra/), and its ten largest parts, recorded in bench/results/bundle-sizes.json.
 */
import { readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { build } from 'esbuild';
import { topology } from '../functions/topology.ts';
import { bundleSettings } from '../local/bundle.ts';
import { machine } from './stats.ts';

const root = new URL('../', import.meta.url).pathname;
const kilobytes = (bytes: number) => Math.round(bytes / 102.4) / 10;

export async function measureBundles() {
  const functions: Record<string, { kilobytes: number; largestKilobytes: Record<string, number> }> = {};
  for (const fn of topology) {
    const outfile = join(root, 'cdk.out', 'bundle-sizes', fn.name, 'index.mjs');
    const result = await build({
      ...bundleSettings,
      entryPoints: [join(root, fn.entry)],
      outfile,
      metafile: true,
      logLevel: 'silent',
    });
    const parts = new Map<string, number>();
    for (const [path, output] of Object.entries(result.metafile.outputs)) {
      if (!path.endsWith('.mjs')) continue;
      for (const [input, info] of Object.entries(output.inputs)) {
        const part =
          /node_modules\/((@[^/]+\/)?[^/]+)/.exec(input)?.[1] ?? input.split('/').slice(0, 2).join('/');
        parts.set(part, (parts.get(part) ?? 0) + info.bytesInOutput);
      }
    }
    functions[fn.name] = {
      kilobytes: kilobytes(statSync(outfile).size),
      largestKilobytes: Object.fromEntries(
        [...parts.entries()]
          .sort((a, b) => b[1] - a[1])
          .slice(0, 10)
          .map(([part, bytes]) => [part, kilobytes(bytes)]),
      ),
    };
  }
  const esbuild = JSON.parse(readFileSync(join(root, 'node_modules/esbuild/package.json'), 'utf8'))
    .version as string;
  const record = {
    what: 'Minified ESM bundle (index.mjs) of each function as deployed; source maps not counted',
    machine: machine(),
    esbuild,
    budgetKilobytes: 850,
    functions,
  };
  writeFileSync(join(root, 'bench/results/bundle-sizes.json'), `${JSON.stringify(record, null, 2)}\n`);
  return record;
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const record = await measureBundles();
  for (const [name, info] of Object.entries(record.functions))
    console.log(`${name.padEnd(18)} ${info.kilobytes} KB`);
}
