/**
 * Splits a CSV file into its records without parsing the fields, so `samskapa import` can send it in
 * chunks (the header first in each) and map the line numbers the API reports in a chunk back to the
 * file's. It reads CSV as the API does (functions/api/csv.ts): RFC 4180 quotes (a quote opens a field
 * only at its start, line breaks inside quotes belong to the field), CRLF or LF, a BOM, and `,`, `;` or
 * tab as the separator, taken from the header line; blank lines are no records.
 */

export interface CsvRecord {
  /** 1-based line of the record's first line in the file. */
  line: number;
  /** How many lines of the file it spans (more than 1 when a quoted field holds line breaks). */
  lines: number;
  /** The record as written, without its line break. */
  text: string;
}

export function detectSeparator(headerLine: string): string {
  let best = ',';
  let most = 0;
  for (const separator of [',', ';', '\t']) {
    const n = headerLine.split(separator).length;
    if (n > most) {
      best = separator;
      most = n;
    }
  }
  return best;
}

export function splitCsvRecords(text: string): { header: CsvRecord | undefined; records: CsvRecord[] } {
  const source = text.replace(/^\uFEFF/, '');
  const firstBreak = source.search(/\r?\n/);
  const separator = detectSeparator(firstBreak === -1 ? source : source.slice(0, firstBreak));
  const all: CsvRecord[] = [];
  let start = 0;
  let line = 1;
  let recordLine = 1;
  let quoted = false;
  let fieldBlank = true;
  let hasSeparator = false;
  const end = (at: number) => {
    const raw = source.slice(start, at);
    // As the API: a line with one blank field is no record.
    if (hasSeparator || !fieldBlank) all.push({ line: recordLine, lines: line - recordLine + 1, text: raw });
  };
  for (let i = 0; i < source.length; i++) {
    const c = source[i] as string;
    if (quoted) {
      if (c === '"' && source[i + 1] === '"') {
        fieldBlank = false;
        i++;
      } else if (c === '"') quoted = false;
      else {
        if (c === '\n') line++;
        if (c.trim() !== '') fieldBlank = false;
      }
      continue;
    }
    if (c === '"' && fieldBlank) quoted = true;
    else if (c === separator) {
      hasSeparator = true;
      fieldBlank = true;
    } else if (c === '\n' || c === '\r') {
      end(i);
      if (c === '\r' && source[i + 1] === '\n') i++;
      line++;
      recordLine = line;
      start = i + 1;
      fieldBlank = true;
      hasSeparator = false;
    } else if (c.trim() !== '') fieldBlank = false;
  }
  if (start < source.length) end(source.length);
  const [header, ...records] = all;
  return { header, records };
}

export interface Chunk {
  body: string;
  /** The record at each line of the chunk (its first line), by the chunk's line number. */
  recordAt: Map<number, CsvRecord>;
}

/** The header and these records as one CSV, with the map from the chunk's lines to the records. */
export function chunkOf(header: CsvRecord, records: readonly CsvRecord[]): Chunk {
  const recordAt = new Map<number, CsvRecord>();
  let line = 1 + header.lines;
  for (const record of records) {
    recordAt.set(line, record);
    line += record.lines;
  }
  return { body: `${[header, ...records].map((r) => r.text).join('\n')}\n`, recordAt };
}
