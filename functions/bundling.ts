/**
 * How a function is bundled for Lambda: read by infra/ (NodejsFunction) and by local/bundle.ts (the
 * local runtime's "run as deployed" option), so both build the same artefact.
 */
export const BUNDLING = {
  target: 'node24',
  format: 'esm',
  mainFields: ['module', 'main'],
  minify: true,
  sourcemap: true,
  // Some CommonJS dependencies call require() for Node built-ins; ESM has no require.
  banner: "import { createRequire } from 'node:module';const require = createRequire(import.meta.url);",
} as const;
