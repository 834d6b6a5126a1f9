/**
 * `samskapa import places.csv`: registers the places of a CSV through POST /places/import, in chunks
 * of --chunk-size lines (the header first in each) so a progress bar moves on large files. The API
 * refuses a whole request when any line in it is invalid; the command reports those lines by their
 * number in the file, sends the rest of the chunk again, and exits 1. Places that already exist (same
 * name and municipality) are skipped, so running it again after fixing the file is safe.
 */
import { readFileSync, statSync } from 'node:fs';
import cliProgress from 'cli-progress';
import { apiFor } from '../core/api.ts';
import { type Command, type Parsed, targetHelp, targetOptions, wholeNumber } from '../core/command.ts';
import { type CsvRecord, chunkOf, splitCsvRecords } from '../core/csv-records.ts';
import { CliError } from '../core/errors.ts';
import { resolveTarget } from '../core/target.ts';

interface ImportAnswer {
  created: { placeId: string }[];
  skipped: { line: number; placeId: string }[];
}

interface Refusal {
  line: number;
  field: string | undefined;
  message: string;
}

export const importCommand: Command = {
  name: 'import',
  summary: 'Register places from a CSV file (name, municipality, region, population)',
  usage: 'samskapa import <places.csv> [--chunk-size N] [--data DIR | --stack NAME ...]',
  positionals: { min: 1, max: 1 },
  options: { ...targetOptions, 'chunk-size': { type: 'string' } },
  help: `The CSV needs a header line with the columns name, municipality, region and optionally
population (Swedish and Finnish headers work too: namn/nimi, kommun/kunta, län/maakunta,
befolkning/asukasluku); separated by , ; or tab, as spreadsheets save it.

Invalid lines are reported by their line number in the file and not imported; the valid ones are.
The exit code is 1 if any line was refused. A place that already exists (same name and
municipality) is skipped, so after fixing the file, run the same import again.

  --chunk-size N   lines per request (default 200, at most 1000)

${targetHelp}

Example:
  samskapa import places.csv
  samskapa import places.csv --stack samskapa-prod --region eu-north-1 --token "$ID_TOKEN"`,
  run: runImport,
};

async function runImport(args: Parsed): Promise<number> {
  const file = args.positionals[0] as string;
  const text = readCsvFile(file);
  const { header, records } = splitCsvRecords(text);
  if (!header)
    throw new CliError(
      `${file} is empty: it needs a header line (name,municipality,region,population) and one place per line`,
    );
  if (records.length === 0) throw new CliError(`${file} has a header line but no places`);
  const chunkSize = wholeNumber(args, 'chunk-size', 200, 1, 1000);
  const target = await resolveTarget(args);
  const api = await apiFor(target, args, 'coordinator');

  const bar = new cliProgress.SingleBar(
    {
      format: 'Importing {bar} {value}/{total} lines',
      hideCursor: true,
      noTTYOutput: false,
    },
    cliProgress.Presets.shades_classic,
  );
  const showBar = process.stderr.isTTY === true;
  if (showBar) bar.start(records.length, 0);
  let created = 0;
  let skipped = 0;
  const refused: Refusal[] = [];
  try {
    for (let at = 0; at < records.length; at += chunkSize) {
      const chunk = records.slice(at, at + chunkSize);
      const result = await importChunk(api, file, header, chunk);
      created += result.created;
      skipped += result.skipped;
      refused.push(...result.refused);
      if (showBar) bar.increment(chunk.length);
    }
  } finally {
    if (showBar) bar.stop();
  }

  refused.sort((a, b) => a.line - b.line);
  for (const r of refused)
    process.stderr.write(`  line ${r.line}${r.field ? ` (${r.field})` : ''}: ${r.message}\n`);
  const lines = new Set(refused.map((r) => r.line)).size;
  console.log(
    `${file}: ${created} ${created === 1 ? 'place' : 'places'} created, ${skipped} skipped (already there), ${lines} ${lines === 1 ? 'line' : 'lines'} refused`,
  );
  if (lines > 0) {
    console.log('Fix the refused lines and run the import again; places already imported are skipped.');
    return 1;
  }
  return 0;
}

function readCsvFile(file: string): string {
  let bytes: Buffer;
  try {
    if (statSync(file).isDirectory()) throw new CliError(`${file} is a folder, not a CSV file`);
    bytes = readFileSync(file);
  } catch (error) {
    if (error instanceof CliError) throw error;
    const code = (error as NodeJS.ErrnoException).code;
    throw new CliError(
      code === 'ENOENT'
        ? `${file} does not exist: give the path of a CSV file`
        : `cannot read ${file} (${code ?? (error as Error).message})`,
      { cause: error },
    );
  }
  try {
    return new TextDecoder('utf-8', { fatal: true }).decode(bytes);
  } catch (error) {
    throw new CliError(
      `${file} is not UTF-8 text: save it from the spreadsheet as "CSV UTF-8" and try again`,
      { cause: error },
    );
  }
}

/** One chunk: send it; if the API refuses lines, note them and send the others again. */
async function importChunk(
  api: Awaited<ReturnType<typeof apiFor>>,
  file: string,
  header: CsvRecord,
  records: CsvRecord[],
): Promise<{ created: number; skipped: number; refused: Refusal[] }> {
  const refused: Refusal[] = [];
  let pending = records;
  while (pending.length > 0) {
    const chunk = chunkOf(header, pending);
    const response = await api.request<ImportAnswer>('POST', '/places/import', { csv: chunk.body });
    if (response.ok && response.body)
      return { created: response.body.created.length, skipped: response.body.skipped.length, refused };
    if (response.status !== 400) throw api.refused(response, 'the import');
    const bad = new Set<CsvRecord>();
    for (const error of response.problem?.errors ?? []) {
      const match = /^line\.(\d+)(?:\.(.+))?$/.exec(error.path);
      const record = match ? chunk.recordAt.get(Number(match[1])) : undefined;
      if (!record) {
        // The file as a whole: the header, or no places at all.
        const where = match && Number(match[1]) <= header.lines ? ` line ${header.line}` : '';
        throw new CliError(`${file}${where}: ${error.message}`);
      }
      refused.push({ line: record.line, field: match?.[2], message: error.message });
      bad.add(record);
    }
    if (bad.size === 0) throw api.refused(response, 'the import');
    pending = pending.filter((record) => !bad.has(record));
  }
  return { created: 0, skipped: 0, refused };
}
