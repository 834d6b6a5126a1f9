/**
 * The results report of a place (stage 3 of Smarta Orter): compiled results rendered as Markdown, a
 * printable HTML page with charts of participation and top themes, and JSON. Quotes carry sector and
 * generation, never a name.
 */
import {
  type AgeGroup,
  ageGroupLabels,
  type Locale,
  type Sector,
  sectorLabels,
} from '../../events/vocabulary.ts';
import type { CompiledResults } from '../domain/results.ts';
import {
  barChartSvg,
  escapeHtml,
  escapeMarkdown,
  fill,
  formatDate,
  formatNumber,
  htmlPage,
} from './format.ts';

export interface ResultsReportInput {
  results: CompiledResults;
  orgId: string;
  placeId: string;
  processId: string;
  placeName: string;
  municipality: string;
  /** The method's name in the report's language. */
  methodName: string;
  locale: Locale;
  /** When the results were compiled (the report says so; rendering twice gives the same files). */
  compiledAt: string;
}

export interface RenderedReport {
  markdown: string;
  html: string;
  json: string;
}

/** How many themes the chart shows; the table lists them all. */
export const CHART_THEMES = 10;

type Strings = {
  title: string;
  lead: string;
  compiled: string;
  interviews: string;
  ideas: string;
  participants: string;
  participation: string;
  bySector: string;
  byAgeGroup: string;
  sector: string;
  ageGroup: string;
  count: string;
  themes: string;
  themesLead: string;
  rank: string;
  theme: string;
  mentions: string;
  votes: string;
  topThemesChart: string;
  needs: string;
  wishes: string;
  challenges: string;
  topIdeas: string;
  idea: string;
  proposedBy: string;
  quotes: string;
  quotesLead: string;
  none: string;
  footer: string;
};

const strings: Record<Locale, Strings> = {
  sv: {
    title: 'Resultat för {place}',
    lead: '{method} i {place}, {municipality}: intervjuer och workshop sammanställda till en bild av orten.',
    compiled: 'Sammanställd {date}',
    interviews: 'Intervjuer',
    ideas: 'Idéer',
    participants: 'Medverkande',
    participation: 'Vilka som hördes',
    bySector: 'Medverkande per sektor',
    byAgeGroup: 'Medverkande per generation',
    sector: 'Sektor',
    ageGroup: 'Ålder',
    count: 'Antal',
    themes: 'Teman',
    themesLead:
      'Teman rangordnade efter hur många intervjuer som tog upp dem och röster på workshopens idéer.',
    rank: 'Plats',
    theme: 'Tema',
    mentions: 'Intervjuer',
    votes: 'Röster',
    topThemesChart: 'De viktigaste temana',
    needs: 'Behov',
    wishes: 'Önskemål',
    challenges: 'Utmaningar',
    topIdeas: 'Idéer med flest röster',
    idea: 'Idé',
    proposedBy: 'Föreslagen av',
    quotes: 'Röster från orten',
    quotesLead: 'Citat från intervjuerna, med sektor och generation men aldrig namn.',
    none: 'Inga ännu.',
    footer: 'Rapporten är framtagen av samskapa utifrån ortens intervjuer och workshop.',
  },
  fi: {
    title: 'Tulokset: {place}',
    lead: '{method}, {place} ({municipality}): haastattelut ja työpaja koottuna yhdeksi kuvaksi taajamasta.',
    compiled: 'Koottu {date}',
    interviews: 'Haastattelut',
    ideas: 'Ideat',
    participants: 'Osallistujat',
    participation: 'Keitä kuultiin',
    bySector: 'Osallistujat sektoreittain',
    byAgeGroup: 'Osallistujat ikäryhmittäin',
    sector: 'Sektori',
    ageGroup: 'Ikä',
    count: 'Määrä',
    themes: 'Teemat',
    themesLead:
      'Teemat järjestettynä sen mukaan, kuinka moni haastattelu nosti ne esiin ja kuinka paljon työpajan ideat saivat ääniä.',
    rank: 'Sija',
    theme: 'Teema',
    mentions: 'Haastattelut',
    votes: 'Äänet',
    topThemesChart: 'Tärkeimmät teemat',
    needs: 'Tarpeet',
    wishes: 'Toiveet',
    challenges: 'Haasteet',
    topIdeas: 'Eniten ääniä saaneet ideat',
    idea: 'Idea',
    proposedBy: 'Ehdottaja',
    quotes: 'Taajaman ääniä',
    quotesLead: 'Lainauksia haastatteluista sektorin ja ikäryhmän kanssa, ei koskaan nimellä.',
    none: 'Ei vielä yhtään.',
    footer: 'Raportin on koonnut samskapa taajaman haastattelujen ja työpajan pohjalta.',
  },
  en: {
    title: 'Results for {place}',
    lead: '{method} in {place}, {municipality}: interviews and workshop compiled into one picture of the place.',
    compiled: 'Compiled {date}',
    interviews: 'Interviews',
    ideas: 'Ideas',
    participants: 'Participants',
    participation: 'Who was heard',
    bySector: 'Participants by sector',
    byAgeGroup: 'Participants by generation',
    sector: 'Sector',
    ageGroup: 'Age',
    count: 'Count',
    themes: 'Themes',
    themesLead: 'Themes ranked by how many interviews raised them and by the votes on the workshop ideas.',
    rank: 'Rank',
    theme: 'Theme',
    mentions: 'Interviews',
    votes: 'Votes',
    topThemesChart: 'The top themes',
    needs: 'Needs',
    wishes: 'Wishes',
    challenges: 'Challenges',
    topIdeas: 'Ideas with the most votes',
    idea: 'Idea',
    proposedBy: 'Proposed by',
    quotes: 'Voices from the place',
    quotesLead: 'Quotes from the interviews, with sector and generation but never a name.',
    none: 'None yet.',
    footer: 'This report was compiled by samskapa from the interviews and workshop of the place.',
  },
};

export function reportStrings(locale: Locale): Strings {
  return strings[locale];
}

const sectorOrder = Object.keys(sectorLabels) as Sector[];
const ageOrder = Object.keys(ageGroupLabels) as AgeGroup[];

function counted<K extends string>(counts: Partial<Record<K, number>>, order: readonly K[]) {
  return order.filter((key) => (counts[key] ?? 0) > 0).map((key) => ({ key, count: counts[key] ?? 0 }));
}

export function renderResultsReport(input: ResultsReportInput): RenderedReport {
  return {
    markdown: renderMarkdown(input),
    html: renderHtml(input),
    json: `${JSON.stringify(resultsDocument(input), null, 2)}\n`,
  };
}

/** results.json: the compiled results with what they are about; the API serves it as the results. */
export function resultsDocument(input: ResultsReportInput) {
  return {
    orgId: input.orgId,
    placeId: input.placeId,
    processId: input.processId,
    placeName: input.placeName,
    municipality: input.municipality,
    locale: input.locale,
    compiledAt: input.compiledAt,
    ...input.results,
  };
}

function header(input: ResultsReportInput) {
  const t = strings[input.locale];
  const values = { place: input.placeName, municipality: input.municipality, method: input.methodName };
  return {
    title: fill(t.title, values),
    lead: fill(t.lead, values),
    compiled: fill(t.compiled, { date: formatDate(input.compiledAt, input.locale) }),
  };
}

function participantTotal(results: CompiledResults): number {
  return Object.values(results.participation.bySector).reduce((sum, n) => sum + (n ?? 0), 0);
}

function renderMarkdown(input: ResultsReportInput): string {
  const { results, locale } = input;
  const t = strings[locale];
  const n = (value: number) => formatNumber(value, locale);
  const h = header(input);
  const md = escapeMarkdown;
  const lines: string[] = [
    `# ${md(h.title)}`,
    '',
    md(h.lead),
    '',
    `*${md(h.compiled)}*`,
    '',
    `- ${t.interviews}: ${n(results.interviews)}`,
    `- ${t.ideas}: ${n(results.ideas)}`,
    `- ${t.participants}: ${n(participantTotal(results))}`,
    '',
    `## ${t.participation}`,
    '',
    `### ${t.bySector}`,
    '',
    `| ${t.sector} | ${t.count} |`,
    '| --- | ---: |',
    ...counted(results.participation.bySector, sectorOrder).map(
      (row) => `| ${sectorLabels[row.key][locale]} | ${n(row.count)} |`,
    ),
    '',
    `### ${t.byAgeGroup}`,
    '',
    `| ${t.ageGroup} | ${t.count} |`,
    '| --- | ---: |',
    ...counted(results.participation.byAgeGroup, ageOrder).map(
      (row) => `| ${ageGroupLabels[row.key][locale]} | ${n(row.count)} |`,
    ),
    '',
    `## ${t.themes}`,
    '',
    t.themesLead,
    '',
  ];
  if (results.themes.length) {
    lines.push(`| ${t.rank} | ${t.theme} | ${t.mentions} | ${t.votes} |`, '| ---: | --- | ---: | ---: |');
    for (const theme of results.themes) {
      lines.push(`| ${theme.rank} | ${md(theme.theme)} | ${n(theme.mentions)} | ${n(theme.votes)} |`);
    }
  } else lines.push(t.none);
  for (const [title, items] of [
    [t.needs, results.needs],
    [t.wishes, results.wishes],
    [t.challenges, results.challenges],
  ] as const) {
    lines.push('', `## ${title}`, '');
    if (items.length) for (const item of items) lines.push(`- ${md(item)}`);
    else lines.push(t.none);
  }
  lines.push('', `## ${t.topIdeas}`, '');
  if (results.topIdeas.length) {
    lines.push(`| ${t.idea} | ${t.votes} | ${t.proposedBy} |`, '| --- | ---: | --- |');
    for (const idea of results.topIdeas) {
      lines.push(`| ${md(idea.title)} | ${n(idea.votes)} | ${sectorLabels[idea.proposedBy][locale]} |`);
    }
  } else lines.push(t.none);
  lines.push('', `## ${t.quotes}`, '', t.quotesLead, '');
  if (results.quotes.length) {
    for (const quote of results.quotes) {
      lines.push(
        `> ${md(quote.text)}`,
        `> — ${sectorLabels[quote.sector][locale]}, ${ageGroupLabels[quote.ageGroup][locale]}`,
        '',
      );
    }
  } else lines.push(t.none, '');
  lines.push('---', '', t.footer, '');
  return lines.join('\n');
}

function renderHtml(input: ResultsReportInput): string {
  const { results, locale } = input;
  const t = strings[locale];
  const n = (value: number) => formatNumber(value, locale);
  const e = escapeHtml;
  const h = header(input);
  const bySector = counted(results.participation.bySector, sectorOrder);
  const byAge = counted(results.participation.byAgeGroup, ageOrder);
  const list = (items: string[]) =>
    items.length ? `<ul>${items.map((item) => `<li>${e(item)}</li>`).join('')}</ul>` : `<p>${t.none}</p>`;
  const countTable = (label: string, rows: { label: string; count: number }[]) =>
    `<table><thead><tr><th>${e(label)}</th><th class="n">${e(t.count)}</th></tr></thead><tbody>${rows
      .map((row) => `<tr><td>${e(row.label)}</td><td class="n">${n(row.count)}</td></tr>`)
      .join('')}</tbody></table>`;

  const sectorRows = bySector.map((row) => ({ label: sectorLabels[row.key][locale], count: row.count }));
  const ageRows = byAge.map((row) => ({ label: ageGroupLabels[row.key][locale], count: row.count }));
  const chartThemes = results.themes.slice(0, CHART_THEMES);

  const body = [
    '<header>',
    `<h1>${e(h.title)}</h1>`,
    `<p class="lead">${e(h.lead)}</p>`,
    `<p><time datetime="${e(input.compiledAt)}">${e(h.compiled)}</time></p>`,
    '</header>',
    '<ul class="facts">',
    `<li><strong>${n(results.interviews)}</strong>${e(t.interviews)}</li>`,
    `<li><strong>${n(results.ideas)}</strong>${e(t.ideas)}</li>`,
    `<li><strong>${n(participantTotal(results))}</strong>${e(t.participants)}</li>`,
    '</ul>',
    `<h2>${e(t.participation)}</h2>`,
    `<h3>${e(t.bySector)}</h3>`,
    barChartSvg({
      title: t.bySector,
      rows: sectorRows.map((row) => ({ label: row.label, values: [row.count] })),
      locale,
    }),
    countTable(t.sector, sectorRows),
    `<h3>${e(t.byAgeGroup)}</h3>`,
    barChartSvg({
      title: t.byAgeGroup,
      rows: ageRows.map((row) => ({ label: row.label, values: [row.count] })),
      locale,
    }),
    countTable(t.ageGroup, ageRows),
    `<h2>${e(t.themes)}</h2>`,
    `<p>${e(t.themesLead)}</p>`,
    ...(chartThemes.length
      ? [
          barChartSvg({
            title: t.topThemesChart,
            rows: chartThemes.map((theme) => ({ label: theme.theme, values: [theme.mentions, theme.votes] })),
            legend: [t.mentions, t.votes],
            locale,
          }),
          `<table><thead><tr><th class="n">${e(t.rank)}</th><th>${e(t.theme)}</th><th class="n">${e(t.mentions)}</th><th class="n">${e(t.votes)}</th></tr></thead><tbody>${results.themes
            .map(
              (theme) =>
                `<tr><td class="n">${theme.rank}</td><td>${e(theme.theme)}</td><td class="n">${n(theme.mentions)}</td><td class="n">${n(theme.votes)}</td></tr>`,
            )
            .join('')}</tbody></table>`,
        ]
      : [`<p>${t.none}</p>`]),
    `<h2>${e(t.needs)}</h2>`,
    list(results.needs),
    `<h2>${e(t.wishes)}</h2>`,
    list(results.wishes),
    `<h2>${e(t.challenges)}</h2>`,
    list(results.challenges),
    `<h2>${e(t.topIdeas)}</h2>`,
    results.topIdeas.length
      ? `<table><thead><tr><th>${e(t.idea)}</th><th class="n">${e(t.votes)}</th><th>${e(t.proposedBy)}</th></tr></thead><tbody>${results.topIdeas
          .map(
            (idea) =>
              `<tr><td>${e(idea.title)}</td><td class="n">${n(idea.votes)}</td><td>${e(sectorLabels[idea.proposedBy][locale])}</td></tr>`,
          )
          .join('')}</tbody></table>`
      : `<p>${t.none}</p>`,
    `<h2>${e(t.quotes)}</h2>`,
    `<p>${e(t.quotesLead)}</p>`,
    results.quotes.length
      ? results.quotes
          .map(
            (quote) =>
              `<blockquote><p>${e(quote.text)}</p><footer>${e(sectorLabels[quote.sector][locale])}, ${e(ageGroupLabels[quote.ageGroup][locale])}</footer></blockquote>`,
          )
          .join('')
      : `<p>${t.none}</p>`,
    `<footer class="page">${e(t.footer)}</footer>`,
  ].join('\n');
  return htmlPage({ title: h.title, locale, body });
}
