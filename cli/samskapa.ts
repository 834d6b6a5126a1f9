#!/usr/bin/env node
/**
 * `samskapa`: start, demo, import, status, tail, trace, replay, token (see cli/README.md or `samskapa help`).
 * Runs on Node 24 (type stripping); the commands live in cli/commands/.
 */
import { main } from './core/main.ts';

process.exit(await main(process.argv.slice(2)));
