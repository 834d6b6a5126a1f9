/**
 * `samskapa import` sends a CSV in chunks and maps the line numbers the API reports back to the file:
 * its record splitter must see the same records, on the same lines, as the API's parser.
 */
import { describe, expect, it } from 'vitest';
import { chunkOf, splitCsvRecords } from '../../cli/core/csv-records.ts';
import { parseCsv } from '../../functions/api/csv.ts';

const files = {
  simple: 'name,municipality,region\nHede,Härjedalen,Jämtland\nSveg,Härjedalen,Jämtland\n',
  semicolonsCrlfBom:
    '\uFEFFnamn;kommun;län\r\nHede;Härjedalen;Jämtland\r\n\r\n"Vemdalen; by";Härjedalen;Jämtland',
  quotedLineBreaks:
    'name,municipality,region\n"Hede\nby",Härjedalen,"Jämt\r\nland"\n\n  \nSveg,"a ""quoted"" word",x\n',
  tabs: 'name\tmunicipality\tregion\nHede\tHärjedalen\tJämtland\n""\n\tx\t\n',
};

describe('cli CSV records', () => {
  for (const [name, text] of Object.entries(files)) {
    it(`${name}: the same records on the same lines as the API's parser`, () => {
      const { header, records } = splitCsvRecords(text);
      const rows = parseCsv(text);
      expect([header, ...records].map((r) => r?.line)).toEqual(rows.map((row) => row.line));
      // Each record alone parses to the same fields as in the whole file.
      for (const [i, record] of records.entries())
        expect(parseCsv(`${header?.text}\n${record.text}`)[1]?.fields).toEqual(rows[i + 1]?.fields);
    });
  }

  it('a chunk maps its own line numbers back to the records of the file', () => {
    const { header, records } = splitCsvRecords(files.quotedLineBreaks);
    if (!header) throw new Error('no header');
    const chunk = chunkOf(header, records);
    const lines = parseCsv(chunk.body)
      .slice(1)
      .map((row) => row.line);
    expect(lines.map((line) => chunk.recordAt.get(line)?.line)).toEqual([2, 7]);
  });
});
