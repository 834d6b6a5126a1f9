/**
 * `npm run demo -- --places N`: the same as `samskapa demo` (cli/commands/demo.ts): N generated places
 * through the whole Smarta Orter method on the local runtime, or in memory with `--in-memory`.
 */
import { main } from './core/main.ts';

process.exit(await main(['demo', ...process.argv.slice(2)]));
