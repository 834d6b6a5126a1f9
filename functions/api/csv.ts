/**
 * CSV as spreadsheets write it (RFC 4180): quoted fields with doubled quotes and line breaks,
 * CRLF or LF, a BOM, and `,`, `;` (Swedish and Finnish Excel) or tab as the separator, taken from
 * the header line.
 */

export interface CsvRow {
  /** 1-based line number of the row's first line in the file (the header is line 1). */
  line: number;
  fields: string[];
}

export function detectSeparator(headerLine: string): string {
  const counts = [',', ';', '\t'].map((separator) => ({
    separator,
    n: headerLine.split(separator).length,
  }));
  counts.sort((a, b) => b.n - a.n);
  return (counts[0] as { separator: string }).separator;
}

export function parseCsv(text: string): CsvRow[] {
  const source = text.replace(/^\uFEFF/, '');
  const firstBreak = source.search(/\r?\n/);
  const separator = detectSeparator(firstBreak === -1 ? source : source.slice(0, firstBreak));
  const rows: CsvRow[] = [];
  let fields: string[] = [];
  let field = '';
  let quoted = false;
  let line = 1;
  let rowLine = 1;
  const endField = () => {
    fields.push(field);
    field = '';
  };
  const endRow = () => {
    endField();
    if (!(fields.length === 1 && fields[0]?.trim() === '')) rows.push({ line: rowLine, fields });
    fields = [];
  };
  for (let i = 0; i < source.length; i++) {
    const c = source[i] as string;
    if (quoted) {
      if (c === '"') {
        if (source[i + 1] === '"') {
          field += '"';
          i++;
        } else quoted = false;
      } else {
        if (c === '\n') line++;
        field += c;
      }
      continue;
    }
    if (c === '"' && field.trim() === '') {
      field = '';
      quoted = true;
    } else if (c === separator) endField();
    else if (c === '\r' && source[i + 1] === '\n') continue;
    else if (c === '\n' || c === '\r') {
      endRow();
      line++;
      rowLine = line;
    } else field += c;
  }
  if (field !== '' || fields.length > 0) endRow();
  return rows;
}
