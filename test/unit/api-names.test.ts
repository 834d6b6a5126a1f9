/** Names made safe: place ids from names, recording file names for S3 keys, and CSV as spreadsheets write it. */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { Id } from '../../events/envelope.ts';
import { parseCsv } from '../../functions/api/csv.ts';
import { safeFileName, slug } from '../../functions/api/names.ts';
import { placesFromCsv } from '../../functions/api/places.ts';

describe('slug', () => {
  it('makes place ids from Nordic names', () => {
    expect(slug('Hede')).toBe('hede');
    expect(slug('Åre Björnen')).toBe('are-bjornen');
    expect(slug('Jämsä')).toBe('jamsa');
    expect(slug('Kinda kommun – Rimforsa')).toBe('kinda-kommun-rimforsa');
    expect(slug('Søgne')).toBe('sogne');
    expect(slug('!!!')).toBe('place');
  });

  it('is always an id', () => {
    fc.assert(fc.property(fc.string({ maxLength: 300 }), (name) => Id.safeParse(slug(name)).success));
  });
});

describe('safeFileName', () => {
  it('keeps the last part of the name and its extension', () => {
    expect(safeFileName('C:\\Users\\Åsa\\Intervju 1 (Hede).m4a')).toBe('Intervju-1-Hede.m4a');
    expect(safeFileName('../../etc/passwd')).toBe('passwd');
    expect(safeFileName('.hidden')).toBe('hidden');
    expect(safeFileName('///')).toBe('recording');
    expect(safeFileName(`${'a'.repeat(300)}.webm`)).toBe(`${'a'.repeat(95)}.webm`);
    expect(safeFileName(`${'a'.repeat(94)}.b-${'c'.repeat(10)}.webm`)).toBe(`${'a'.repeat(94)}.webm`);
  });

  it('is always safe in a key and a URL', () => {
    fc.assert(
      fc.property(
        fc.string({ unit: fc.constantFrom('a', 'Ä', '.', '-', ' ', '/', '_', '1'), maxLength: 400 }),
        (name) => {
          const safe = safeFileName(name);
          return /^[A-Za-z0-9_][A-Za-z0-9._-]{0,99}$/.test(safe) && !safe.includes('..');
        },
      ),
    );
  });
});

describe('CSV', () => {
  it('reads quotes, doubled quotes, line breaks in quotes, CRLF and a BOM', () => {
    const rows = parseCsv('\uFEFFa,b\r\n"x, ""y""","two\nlines"\r\n\r\nlast,row');
    expect(rows).toEqual([
      { line: 1, fields: ['a', 'b'] },
      { line: 2, fields: ['x, "y"', 'two\nlines'] },
      { line: 5, fields: ['last', 'row'] },
    ]);
  });

  it('takes the separator from the header', () => {
    expect(parseCsv('a;b\n1,5;2')[1]?.fields).toEqual(['1,5', '2']);
    expect(parseCsv('a\tb\nx\ty')[1]?.fields).toEqual(['x', 'y']);
  });

  it('reports every bad line with its number, in English, Swedish or Finnish headers', () => {
    expect(() =>
      placesFromCsv(
        'nimi,kunta,maakunta,väkiluku\nJanakkala,Janakkala,Kanta-Häme,16 500\n,Hattula,Kanta-Häme,x\n',
      ),
    ).toThrow(
      expect.objectContaining({
        status: 400,
        errors: [
          { path: 'line.3.name', message: expect.any(String) },
          { path: 'line.3.population', message: 'population must be a whole number' },
        ],
      }),
    );
    expect(placesFromCsv('name,municipality,region\nHede,Härjedalen,Jämtland\n')).toEqual([
      { line: 2, place: { name: 'Hede', municipality: 'Härjedalen', region: 'Jämtland' } },
    ]);
  });
});
