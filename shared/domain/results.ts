/**
 * Compiling results (stage 3 of Smarta Orter): interviews and workshops become one picture of the
 * place. Themes are ranked by mentions in interviews plus votes on workshop ideas; participation is
 * counted by sector and generation, never by name.
 */
import type { EventOfType } from '../../events/catalog.ts';
import type { AgeGroup, Sector } from '../../events/vocabulary.ts';

type Summary = EventOfType<'Interview.Summarised'>['data'];
type Workshop = EventOfType<'Workshop.Closed'>['data'];

export interface CompiledResults {
  themes: { theme: string; mentions: number; votes: number; rank: number }[];
  interviews: number;
  ideas: number;
  participation: { bySector: Partial<Record<Sector, number>>; byAgeGroup: Partial<Record<AgeGroup, number>> };
  needs: string[];
  wishes: string[];
  challenges: string[];
  quotes: { text: string; sector: Sector; ageGroup: AgeGroup }[];
  topIdeas: { title: string; votes: number; proposedBy: Sector }[];
}

export const MAX_THEMES = 30;

export function compileResults(
  summaries: readonly Summary[],
  workshops: readonly Workshop[],
): CompiledResults {
  const themes = new Map<string, { mentions: number; votes: number }>();
  const theme = (name: string) => {
    const key = name.trim().toLocaleLowerCase('sv');
    const entry = themes.get(key) ?? { mentions: 0, votes: 0 };
    themes.set(key, entry);
    return entry;
  };
  const bySector: Partial<Record<Sector, number>> = {};
  const byAgeGroup: Partial<Record<AgeGroup, number>> = {};
  const add = <K extends string>(counts: Partial<Record<K, number>>, key: K, n: number) => {
    counts[key] = (counts[key] ?? 0) + n;
  };

  for (const summary of summaries) {
    for (const name of new Set(summary.themes)) theme(name).mentions += 1;
    add(bySector, summary.sector, 1);
    add(byAgeGroup, summary.ageGroup, 1);
  }
  const ideas = workshops.flatMap((w) => w.ideas);
  for (const idea of ideas) for (const name of new Set(idea.themes)) theme(name).votes += idea.votes;
  for (const row of workshops.flatMap((w) => w.attendance)) {
    add(bySector, row.sector, row.count);
    add(byAgeGroup, row.ageGroup, row.count);
  }

  const ranked = [...themes.entries()]
    .map(([name, counts]) => ({ theme: name, ...counts }))
    .sort((a, b) => b.mentions + b.votes - (a.mentions + a.votes) || a.theme.localeCompare(b.theme, 'sv'))
    .slice(0, MAX_THEMES)
    .map((entry, i) => ({ ...entry, rank: i + 1 }));

  return {
    themes: ranked,
    interviews: summaries.length,
    ideas: ideas.length,
    participation: { bySector, byAgeGroup },
    needs: distinct(summaries.flatMap((s) => s.needs)),
    wishes: distinct(summaries.flatMap((s) => s.wishes)),
    challenges: distinct(summaries.flatMap((s) => s.challenges)),
    quotes: summaries.flatMap((s) =>
      s.quotes.map((text) => ({ text, sector: s.sector, ageGroup: s.ageGroup })),
    ),
    topIdeas: [...ideas]
      .sort((a, b) => b.votes - a.votes || a.title.localeCompare(b.title, 'sv'))
      .slice(0, 10)
      .map(({ title, votes, proposedBy }) => ({ title, votes, proposedBy })),
  };
}

function distinct(items: string[]): string[] {
  const seen = new Map<string, string>();
  for (const item of items) {
    const key = item.trim().toLocaleLowerCase('sv');
    if (!seen.has(key)) seen.set(key, item.trim());
  }
  return [...seen.values()];
}
