/**
 * Bundles functions with esbuild the way the CDK stack does (minified, source maps, the AWS SDK
 * inside, ESM for Node 24), so the local runtime can run exactly the code that is deployed:
 * `startLocalCloud({ bundles: await bundleFunctions(topology, dir) })`.
 */
import { mkdirSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { build } from 'esbuild';
import type { Topology } from '../functions/topology.ts';

/** The settings infra/ gives NodejsFunction's bundling; kept here so both build the same artefact. */
export const bundleSettings = {
  bundle: true,
  platform: 'node',
  target: 'node24',
  format: 'esm',
  minify: true,
  sourcemap: true,
  // Some dependencies still `require` Node built-ins; ESM output needs a require to hand them.
  banner: {
    js: "import { createRequire as __samskapaRequire } from 'node:module'; const require = __samskapaRequire(import.meta.url);",
  },
} as const;

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
