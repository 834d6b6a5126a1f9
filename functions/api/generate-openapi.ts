/**
 * Writes docs/openapi.json from the route definitions and the route table (formatted as Biome
 * formats JSON, so the lint stays clean). A test fails when the file drifts from the routes.
 */
import { execFileSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { openApi } from './routes.ts';

export const OPENAPI_FILE = 'docs/openapi.json';

const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const file = join(root, OPENAPI_FILE);
writeFileSync(file, `${JSON.stringify(openApi(), null, 2)}\n`);
execFileSync(join(root, 'node_modules', '.bin', 'biome'), ['format', '--write', file], { stdio: 'ignore' });
console.log(`Wrote ${OPENAPI_FILE}`);
