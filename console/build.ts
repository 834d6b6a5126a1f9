/**
 * Builds the operations console into console/dist: one ES module bundle (Preact, Chart.js and the
 * method definitions the board reads), one stylesheet (every `.css` the views import), the page. `npm start` builds it before it serves
 * it; infra deploys the same folder with a config.json of its own. Run alone: `npm run console`.
 */
import { copyFile, mkdir } from 'node:fs/promises';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build, type Plugin } from 'esbuild';
import { methods } from '../shared/methods/index.ts';

export const CONSOLE_ROOT = dirname(fileURLToPath(import.meta.url));
export const CONSOLE_DIST = join(CONSOLE_ROOT, 'dist');

/**
 * The methods the board draws as columns, as data: the definitions themselves import the event
 * catalog (and through it node:crypto), which has no place in a browser bundle.
 */
const methodOutlines: Plugin = {
  name: 'samskapa-methods',
  setup(builder) {
    builder.onResolve({ filter: /^samskapa:methods$/ }, () => ({ path: 'methods', namespace: 'samskapa' }));
    builder.onLoad({ filter: /.*/, namespace: 'samskapa' }, () => ({
      loader: 'json',
      contents: JSON.stringify({
        methods: [...methods.values()].map((method) => ({
          key: method.key,
          name: method.name,
          stages: method.stages.map((stage) => ({ key: stage.key, name: stage.name })),
        })),
      }),
    }));
  },
};

export interface ConsoleBuild {
  outdir: string;
  /** Bytes of the JavaScript bundle. */
  bundleBytes: number;
  durationMs: number;
}

export async function buildConsole(options: { outdir?: string } = {}): Promise<ConsoleBuild> {
  const began = performance.now();
  const outdir = resolve(options.outdir ?? CONSOLE_DIST);
  await mkdir(outdir, { recursive: true });
  const result = await build({
    entryPoints: [join(CONSOLE_ROOT, 'src', 'main.tsx')],
    outfile: join(outdir, 'app.js'),
    bundle: true,
    format: 'esm',
    target: 'es2022',
    platform: 'browser',
    jsx: 'automatic',
    jsxImportSource: 'preact',
    minify: true,
    sourcemap: true,
    metafile: true,
    legalComments: 'linked',
    plugins: [methodOutlines],
    logLevel: 'silent',
  });
  await Promise.all(
    ['index.html', 'favicon.svg'].map((file) =>
      copyFile(join(CONSOLE_ROOT, 'src', file), join(outdir, file)),
    ),
  );
  const bundleBytes = Object.entries(result.metafile.outputs)
    .filter(([file]) => file.endsWith('app.js'))
    .reduce((sum, [, output]) => sum + output.bytes, 0);
  return { outdir, bundleBytes, durationMs: performance.now() - began };
}

if (import.meta.main) {
  const built = await buildConsole();
  console.log(
    `console built in ${built.durationMs.toFixed(0)} ms: ${built.outdir} (app.js ${(built.bundleBytes / 1024).toFixed(0)} KB)`,
  );
}
