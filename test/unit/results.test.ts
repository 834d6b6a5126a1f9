import { describe, expect, it } from 'vitest';
import { compileResults } from '../../shared/domain/results.ts';

const summary = (sector: 'association' | 'business', themes: string[], quotes: string[] = []) => ({
  interviewId: `i-${Math.random()}`,
  sector,
  ageGroup: 'age30to49' as const,
  needs: ['En mötesplats', 'en mötesplats '],
  wishes: ['Badplats'],
  challenges: ['Bussen'],
  quotes,
  themes,
});

describe('compileResults', () => {
  it('ranks themes by interview mentions plus idea votes', () => {
    const results = compileResults(
      [summary('association', ['mötesplatser', 'Kommunikationer']), summary('business', ['kommunikationer'])],
      [
        {
          workshopId: 'w-1',
          attendance: [{ sector: 'municipality', ageGroup: 'age50to64', count: 4 }],
          ideas: [
            { ideaId: 'a', title: 'Brygga', votes: 9, proposedBy: 'association', themes: ['friluftsliv'] },
          ],
        },
      ],
    );
    expect(results.themes.map((t) => [t.theme, t.rank])).toEqual([
      ['friluftsliv', 1],
      ['kommunikationer', 2],
      ['mötesplatser', 3],
    ]);
    expect(results.participation.bySector).toEqual({ association: 1, business: 1, municipality: 4 });
  });

  it('groups needs without duplicates and keeps quotes with sector and generation only', () => {
    const results = compileResults([summary('association', ['x'], ['Vi behöver ses.'])], []);
    expect(results.needs).toEqual(['En mötesplats']);
    expect(results.quotes).toEqual([
      { text: 'Vi behöver ses.', sector: 'association', ageGroup: 'age30to49' },
    ]);
  });
});
