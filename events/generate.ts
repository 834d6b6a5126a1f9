/** Writes the generated catalog documents: `npm run generate`. A test fails when they drift. */
import { mkdirSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { topology } from '../functions/topology.ts';
import { CATALOG_PAGE, renderCatalogPage, renderJsonSchemas, SCHEMA_DIR } from './documents.ts';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const schemaDir = join(root, SCHEMA_DIR);
mkdirSync(schemaDir, { recursive: true });
const schemas = renderJsonSchemas();
for (const stale of readdirSync(schemaDir).filter((f) => !schemas.has(f))) rmSync(join(schemaDir, stale));
for (const [name, content] of schemas) writeFileSync(join(schemaDir, name), content);
mkdirSync(dirname(join(root, CATALOG_PAGE)), { recursive: true });
writeFileSync(join(root, CATALOG_PAGE), renderCatalogPage(topology));
console.log(`Wrote ${schemas.size} JSON Schemas to ${SCHEMA_DIR}/ and ${CATALOG_PAGE}`);
