/**
 * Bundles functions with esbuild the way the CDK stack does (minified, source maps, the AWS SDK
 * inside, ESM for Node 24), so the local runtime can run exactly the code that is deployed:
 * `startLocalCloud({ bundles: await bundleFunctions(topology, dir) })`.
 */
import { mkdirSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { type BuildOptions, build } from 'esbuild';
import { BUNDLING } from '../functions/bundling.ts';
import type { Topology } from '../functions/topology.ts';

/** The settings infra/ gives NodejsFunction's bundling, as esbuild options. */
export const bundleSettings: BuildOptions = {
  bundle: true,
  platform: 'node',
  target: BUNDLING.target,
  format: BUNDLING.format,
  mainFields: [...BUNDLING.mainFields],
  minify: BUNDLING.minify,
  sourcemap: BUNDLING.sourcemap,
  banner: { js: BUNDLING.banner },
};

export async function bundleFunctions(
  topology: Topology,
  outDir: string,
  root = process.cwd(),
): Promise<Record<string, string>> {
  mkdirSync(outDir, { recursive: true });
  const bundles: Record<string, string> = {};
  for (const fn of topology) {
    const outfile = join(resolve(outDir), fn.name, 'index.mjs');
    await build({ ...bundleSettings, entryPoints: [resolve(root, fn.entry)], outfile, logLevel: 'warning' });
    bundles[fn.name] = outfile;
  }
  return bundles;
}
