/** The results report: readable Markdown, a printable HTML page with charts, and JSON; quotes without names. */
import { describe, expect, it } from 'vitest';
import * as E from '../../events/catalog.ts';
import { compileResults } from '../../shared/domain/results.ts';
import { barChartSvg } from '../../shared/reports/format.ts';
import { type ResultsReportInput, renderResultsReport } from '../../shared/reports/results-report.ts';

const summary = (i: number, overrides: Partial<typeof E.InterviewSummarised.example> = {}) => ({
  ...E.InterviewSummarised.example,
  interviewId: `i-${i}`,
  ...overrides,
});
const results = compileResults(
  [
    summary(1, {
      themes: ['Mötesplatser', 'kommunikationer'],
      quotes: ['Vi har allt här utom en plats att ses.'],
    }),
    summary(2, {
      sector: 'business',
      ageGroup: 'age18to29',
      themes: ['mötesplatser'],
      needs: ['Fler bussturer <på kvällen>'],
      quotes: ['Bussen går för sällan | alltid.'],
    }),
    summary(3, { sector: 'municipality', ageGroup: 'age65plus', themes: ['friluftsliv'] }),
  ],
  [E.WorkshopClosed.example],
);
const input: ResultsReportInput = {
  results,
  orgId: 'org-jh',
  placeId: 'hede',
  processId: 'proc-hede',
  placeName: 'Hede',
  municipality: 'Härjedalen',
  methodName: 'Smarta orter',
  locale: 'sv',
  compiledAt: '2026-05-04T08:00:00.000Z',
};

describe('the results report', () => {
  const report = renderResultsReport(input);

  it('reads as Markdown with every part of the compiled picture', () => {
    expect(report.markdown).toMatch(/^# Resultat för Hede\n/);
    for (const heading of [
      'Vilka som hördes',
      'Teman',
      'Behov',
      'Önskemål',
      'Utmaningar',
      'Idéer med flest röster',
      'Röster från orten',
    ]) {
      expect(report.markdown).toContain(`## ${heading}`);
    }
    expect(report.markdown).toContain('*Sammanställd 4 maj 2026*');
    // Ranked by interview mentions plus workshop votes.
    expect(report.markdown).toContain('| 1 | friluftsliv | 1 | 14 |\n| 2 | mötesplatser | 2 | 0 |');
    expect(report.markdown).toContain('| Förening | 10 |');
    expect(report.markdown).toContain('| Ny brygga vid badplatsen | 14 | Förening |');
    // Typed text cannot break the tables or turn into markup.
    expect(report.markdown).toContain('Fler bussturer \\<på kvällen\\>');
    expect(report.markdown).toContain('> Bussen går för sällan \\| alltid.');
  });

  it('attributes quotes to a sector and a generation, never a person', () => {
    expect(report.markdown).toContain('> Vi har allt här utom en plats att ses.\n> — Förening, 30–49 år');
    expect(report.html).toContain('<footer>Företag, 18–29 år</footer>');
    expect(JSON.parse(report.json).quotes[0]).toEqual({
      text: 'Vi har allt här utom en plats att ses.',
      sector: 'association',
      ageGroup: 'age30to49',
    });
  });

  it('is a printable HTML page with charts of participation and top themes drawn from the data', () => {
    expect(report.html).toMatch(/^<!doctype html>\n<html lang="sv">/);
    expect(report.html).toContain('@media print');
    const charts = report.html.match(/<svg class="chart"[^>]*>/g) ?? [];
    expect(charts).toHaveLength(3);
    expect(charts[0]).toContain('aria-label="Medverkande per sektor. Förening: 10, Företag: 6, Kommun: 4"');
    // Themes chart: mentions and votes as two segments, with a legend.
    const themesChart = report.html.slice(
      report.html.indexOf('<svg class="chart" role="img" aria-label="De viktigaste'),
    );
    expect(themesChart).toContain('Intervjuer</text>');
    expect(themesChart).toContain('Röster</text>');
    expect(report.html).toContain('Fler bussturer &lt;på kvällen&gt;');
    expect(report.html).not.toContain('<på kvällen>');
  });

  it('keeps the numbers as JSON, with what they are about', () => {
    const json = JSON.parse(report.json);
    expect(json).toMatchObject({
      placeId: 'hede',
      processId: 'proc-hede',
      locale: 'sv',
      compiledAt: '2026-05-04T08:00:00.000Z',
      interviews: 3,
      ideas: 1,
      participation: { bySector: { association: 10, business: 6, municipality: 4 } },
    });
    expect(json.themes[1]).toEqual({ theme: 'mötesplatser', mentions: 2, votes: 0, rank: 2 });
  });

  it('is written in the process language', () => {
    const fi = renderResultsReport({ ...input, locale: 'fi', methodName: 'Älykkäät taajamat' });
    expect(fi.markdown).toMatch(/^# Tulokset: Hede/);
    expect(fi.markdown).toContain('## Keitä kuultiin');
    expect(fi.markdown).toContain('| Yhdistys | 10 |');
    expect(fi.html).toContain('<html lang="fi">');
    const en = renderResultsReport({ ...input, locale: 'en', methodName: 'Smart Places' });
    expect(en.markdown).toContain('> — Association, 30–49');
    expect(en.markdown).toContain('*Compiled 4 May 2026*');
  });

  it('says so when there is nothing yet, instead of an empty table', () => {
    const empty = renderResultsReport({ ...input, results: compileResults([], []) });
    expect(empty.markdown).toContain(
      '## Teman\n\nTeman rangordnade efter hur många intervjuer som tog upp dem och röster på workshopens idéer.\n\nInga ännu.',
    );
    expect(empty.html).toContain('<p>Inga ännu.</p>');
  });

  it('renders the same bytes twice (a redelivery rewrites identical files)', () => {
    expect(renderResultsReport(input)).toEqual(report);
  });
});

describe('barChartSvg', () => {
  it('scales bars to the largest total and labels every row', () => {
    const svg = barChartSvg({
      title: 'T',
      rows: [
        { label: 'A', values: [10] },
        { label: 'B', values: [5] },
      ],
      locale: 'en',
    });
    const widths = [...svg.matchAll(/<rect [^>]*width="(\d+)"/g)].map((m) => Number(m[1]));
    expect(widths).toEqual([390, 195]);
    expect(svg).toContain('>A</text>');
    expect(svg).toContain('>10</text>');
  });
});
