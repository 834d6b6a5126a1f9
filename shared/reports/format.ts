/**
 * Formatting shared by the report, the guide and the emails: dates in the reader's language and the
 * place's time zone, HTML and Markdown escaping, and small inline SVG bar charts that print as they show.
 */
import type { Locale } from '../../events/vocabulary.ts';

/** BCP 47 tags for Intl: the Nordic conventions of each language. */
export const localeTags: Record<Locale, string> = { sv: 'sv-SE', fi: 'fi-FI', en: 'en-GB' };

/**
 * Where a process in a language takes place. Times are shown in the place's zone (a Finnish process
 * meets on Helsinki time), whatever the reader's language.
 */
export const timeZones: Record<Locale, string> = {
  sv: 'Europe/Stockholm',
  fi: 'Europe/Helsinki',
  en: 'Europe/Stockholm',
};

export function formatDate(iso: string, locale: Locale, timeZone = timeZones[locale]): string {
  return new Intl.DateTimeFormat(localeTags[locale], { dateStyle: 'long', timeZone }).format(new Date(iso));
}

export function formatDateTime(iso: string, locale: Locale, timeZone = timeZones[locale]): string {
  return new Intl.DateTimeFormat(localeTags[locale], {
    dateStyle: 'full',
    timeStyle: 'short',
    timeZone,
  }).format(new Date(iso));
}

export function formatTime(iso: string, locale: Locale, timeZone = timeZones[locale]): string {
  return new Intl.DateTimeFormat(localeTags[locale], {
    hour: '2-digit',
    minute: '2-digit',
    timeZone,
    timeZoneName: 'short',
  }).format(new Date(iso));
}

export function formatNumber(value: number, locale: Locale): string {
  return new Intl.NumberFormat(localeTags[locale]).format(value);
}

const htmlEntities: Record<string, string> = {
  '&': '&amp;',
  '<': '&lt;',
  '>': '&gt;',
  '"': '&quot;',
  "'": '&#39;',
};

export function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => htmlEntities[c] ?? c);
}

/** Text that reads as itself in Markdown: no accidental emphasis, links, headings or table cells. */
export function escapeMarkdown(text: string): string {
  return text
    .replace(/\r?\n/g, ' ')
    .replace(/([\\`*_[\]<>|#])/g, '\\$1')
    .trim();
}

/** Replaces `{name}` placeholders; a placeholder without a value is an error, never printed as-is. */
export function fill(template: string, values: Record<string, string | number>): string {
  return template.replace(/\{(\w+)\}/g, (_, name: string) => {
    const value = values[name];
    if (value === undefined) throw new Error(`no value for {${name}} in "${template}"`);
    return String(value);
  });
}

export interface BarRow {
  label: string;
  /** Segments of the bar, drawn left to right (one for a plain bar, two for e.g. mentions + votes). */
  values: number[];
}

export interface BarChart {
  title: string;
  rows: BarRow[];
  /** One legend entry per segment; no legend for a single segment. */
  legend?: string[];
  locale: Locale;
}

const BAR_COLOURS = ['#1f5f8b', '#8fbcdb'];
const CHART_WIDTH = 640;
const LABEL_WIDTH = 190;
const VALUE_WIDTH = 60;
const ROW_HEIGHT = 26;

/**
 * A horizontal bar chart as inline SVG, drawn from the data with nothing to load: it shows in any
 * browser, prints in black and white (segments differ in shade) and reads to a screen reader.
 */
export function barChartSvg(chart: BarChart): string {
  const totals = chart.rows.map((row) => row.values.reduce((sum, v) => sum + v, 0));
  const max = Math.max(1, ...totals);
  const barSpace = CHART_WIDTH - LABEL_WIDTH - VALUE_WIDTH;
  const legendHeight = chart.legend && chart.legend.length > 1 ? 24 : 0;
  const height = chart.rows.length * ROW_HEIGHT + legendHeight + 8;
  const summary = chart.rows
    .map((row, i) => `${row.label}: ${formatNumber(totals[i] ?? 0, chart.locale)}`)
    .join(', ');
  const parts: string[] = [
    `<svg class="chart" role="img" aria-label="${escapeHtml(`${chart.title}. ${summary}`)}" viewBox="0 0 ${CHART_WIDTH} ${height}" width="100%" xmlns="http://www.w3.org/2000/svg">`,
    `<title>${escapeHtml(chart.title)}</title>`,
  ];
  chart.rows.forEach((row, i) => {
    const y = i * ROW_HEIGHT + 4;
    parts.push(
      `<text x="${LABEL_WIDTH - 8}" y="${y + 15}" text-anchor="end" font-size="13">${escapeHtml(truncate(row.label, 28))}</text>`,
    );
    let x = LABEL_WIDTH;
    row.values.forEach((value, segment) => {
      const width = Math.round((value / max) * barSpace);
      if (width > 0) {
        parts.push(
          `<rect x="${x}" y="${y + 2}" width="${width}" height="${ROW_HEIGHT - 8}" fill="${BAR_COLOURS[segment % BAR_COLOURS.length]}"/>`,
        );
      }
      x += width;
    });
    parts.push(
      `<text x="${x + 6}" y="${y + 15}" font-size="13">${formatNumber(totals[i] ?? 0, chart.locale)}</text>`,
    );
  });
  if (legendHeight) {
    const y = chart.rows.length * ROW_HEIGHT + 10;
    let x = LABEL_WIDTH;
    (chart.legend ?? []).forEach((entry, segment) => {
      parts.push(
        `<rect x="${x}" y="${y}" width="12" height="12" fill="${BAR_COLOURS[segment % BAR_COLOURS.length]}"/>`,
        `<text x="${x + 18}" y="${y + 11}" font-size="12">${escapeHtml(entry)}</text>`,
      );
      x += 24 + entry.length * 7;
    });
  }
  parts.push('</svg>');
  return parts.join('');
}

function truncate(text: string, max: number): string {
  return text.length > max ? `${text.slice(0, max - 1)}…` : text;
}

/** The frame of a printable page: readable on screen, one column, clean on paper. */
export function htmlPage(input: { title: string; locale: Locale; body: string }): string {
  return `<!doctype html>
<html lang="${input.locale}">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${escapeHtml(input.title)}</title>
<style>
  body { font-family: system-ui, -apple-system, "Segoe UI", Roboto, sans-serif; color: #1b1b1b; line-height: 1.5;
         max-width: 46rem; margin: 2rem auto; padding: 0 1rem; }
  h1 { font-size: 1.8rem; margin-bottom: 0.2rem; }
  h2 { font-size: 1.3rem; margin-top: 2rem; border-bottom: 1px solid #ccd; padding-bottom: 0.2rem; }
  h3 { font-size: 1.05rem; margin-top: 1.2rem; }
  .lead { color: #444; margin-top: 0; }
  table { border-collapse: collapse; width: 100%; margin: 0.5rem 0 1rem; }
  th, td { text-align: left; padding: 0.25rem 0.5rem; border-bottom: 1px solid #e3e3ea; vertical-align: top; }
  td.n, th.n { text-align: right; font-variant-numeric: tabular-nums; }
  blockquote { margin: 0.6rem 0; padding: 0.2rem 0.8rem; border-left: 3px solid #8fbcdb; color: #333; }
  blockquote footer { font-size: 0.85rem; color: #555; }
  .chart { max-width: 40rem; margin: 0.5rem 0 1rem; }
  .facts { display: flex; flex-wrap: wrap; gap: 1rem; padding: 0; list-style: none; }
  .facts li { border: 1px solid #d5d9e3; border-radius: 6px; padding: 0.5rem 0.9rem; }
  .facts strong { display: block; font-size: 1.4rem; }
  dl dt { font-weight: 600; margin-top: 0.6rem; }
  dl dd { margin-left: 0; }
  footer.page { margin-top: 3rem; font-size: 0.85rem; color: #555; }
  @media print {
    body { margin: 0; max-width: none; font-size: 11pt; }
    h2 { break-after: avoid; }
    table, figure, blockquote, .chart { break-inside: avoid; }
    a { color: inherit; }
  }
</style>
</head>
<body>
${input.body}
</body>
</html>
`;
}
