/**
 * The method schema must already express the sister methods of seeds 001-004, before they are
 * built in. These drafts are validated and one of them is run through the engine.
 */
import { describe, expect, it } from 'vitest';
import { defineMethod, type Method, type MethodInput } from '../../shared/domain/method.ts';
import { smartaOrter } from '../../shared/methods/index.ts';
import { command, run, testContext } from '../support/process.ts';

const L = (sv: string, fi: string, en: string) => ({ sv, fi, en });

/** Seed 001: three forums per municipality; companies, the public sector and schools together. */
const tilannekuva: MethodInput = {
  key: 'tilannekuva',
  version: 1,
  name: L('Interaktiv lägesbild', 'Vuorovaikutteinen tilannekuva', 'Interactive situational picture'),
  summary: L('Tre forum per kommun.', 'Kolme foorumia kuntaa kohden.', 'Three forums per municipality.'),
  origin: 'seeds/001 Vuorovaikutteinen tilannekuva',
  parameters: {
    forumAttendance: { default: 30, min: 5, max: 500, label: L('Deltagare', 'Osallistujat', 'Participants') },
  },
  stages: [1, 2, 3].map((n) => ({
    key: `forum-${n}`,
    name: L(`Forum ${n}`, `Foorumi ${n}`, `Forum ${n}`),
    description: L('Forum', 'Foorumi', 'Forum'),
    activities: ['workshops', 'plans'],
    exitCriteria: [
      { kind: 'count', fact: 'Workshop.Closed', atLeast: n },
      ...(n === 1
        ? [
            {
              kind: 'attendance',
              atLeast: { parameter: 'forumAttendance' },
              sectors: ['business', 'municipality', 'education'],
            },
          ]
        : []),
    ],
    notifications: { onComplete: [{ template: 'stageCompleted', audience: ['coordinator'] }] },
  })) as MethodInput['stages'],
};

/** Seed 003: dialogue meetings documented with the seven reflection questions; initiatives adopted. */
const medborgardialog: MethodInput = {
  key: 'medborgardialog',
  version: 1,
  name: L('Medborgardriven utveckling', 'Asukaslähtöinen kehittäminen', 'Citizen-driven development'),
  summary: L('Dialogmöten.', 'Dialogitilaisuudet.', 'Dialogue meetings.'),
  origin: 'seeds/003 Medborgardriven utveckling',
  parameters: { meetings: { default: 4, min: 1, max: 100, label: L('Möten', 'Tapaamiset', 'Meetings') } },
  stages: [
    {
      key: 'dialogue',
      name: L('Dialogmöten', 'Dialogitilaisuudet', 'Dialogue meetings'),
      description: L('Möten', 'Tapaamiset', 'Meetings'),
      activities: ['workshops'],
      exitCriteria: [
        { kind: 'count', fact: 'Workshop.Closed', atLeast: { parameter: 'meetings' } },
        { kind: 'count', fact: 'Reflection.Recorded', atLeast: { parameter: 'meetings' } },
      ],
    },
    {
      key: 'initiatives',
      name: L('Strategiska satsningar', 'Strategiset panostukset', 'Strategic initiatives'),
      description: L('Beslut', 'Päätös', 'Decision'),
      activities: ['plans'],
      exitCriteria: [{ kind: 'count', fact: 'Plan.Approved', atLeast: 1 }, { kind: 'confirmed' }],
      manualCompletion: true,
    },
  ],
};

/** Seed 004: a needs bank shared by four municipalities, calls for ideas, idea workshops, development. */
const idesluss: MethodInput = {
  key: 'idesluss',
  version: 1,
  name: L('Idésluss', 'Ideasulku', 'Idea sluice'),
  summary: L('Behovsbank och idéutveckling.', 'Tarvepankki ja ideointi.', 'Needs bank and idea development.'),
  origin: 'seeds/004 Idésluss',
  stages: [
    {
      key: 'needs-bank',
      name: L('Behovsbank', 'Tarvepankki', 'Needs bank'),
      description: L('Behov', 'Tarpeet', 'Needs'),
      activities: ['interviews'],
      exitCriteria: [{ kind: 'count', fact: 'Interview.Summarised', atLeast: 5 }],
      manualCompletion: true,
    },
    {
      key: 'idea-workshop',
      name: L('Idéworkshop', 'Ideatyöpaja', 'Idea workshop'),
      description: L('Idéer', 'Ideat', 'Ideas'),
      activities: ['workshops'],
      exitCriteria: [{ kind: 'count', fact: 'Workshop.Closed', atLeast: 1 }],
    },
    {
      key: 'idea-development',
      name: L('Idéutveckling', 'Ideoiden kehittäminen', 'Idea development'),
      description: L('Metod', 'Menetelmä', 'Method'),
      activities: ['plans'],
      exitCriteria: [{ kind: 'count', fact: 'Plan.Approved', atLeast: 1 }],
    },
  ],
};

/** Seed 002: a regional arena and an annual wheel of meetings across the municipalities. */
const samskapande: MethodInput = {
  key: 'samskapande',
  version: 1,
  name: L('Samskapandeprocessen', 'Yhteiskehittämisprosessi', 'Co-creation process'),
  summary: L(
    'Regional arena och årshjul.',
    'Alueellinen areena ja vuosikello.',
    'Regional arena and annual wheel.',
  ),
  origin: 'seeds/002 Samskapandeprocessen',
  parameters: {
    wheelMeetings: {
      default: 8,
      min: 1,
      max: 52,
      label: L('Möten i årshjulet', 'Vuosikellon tapaamiset', 'Annual wheel meetings'),
    },
  },
  stages: [
    {
      key: 'arena',
      name: L('Regional arena', 'Alueellinen areena', 'Regional arena'),
      description: L('Dialog', 'Dialogi', 'Dialogue'),
      activities: ['workshops'],
      exitCriteria: [{ kind: 'count', fact: 'Workshop.Closed', atLeast: 1 }],
    },
    {
      key: 'annual-wheel',
      name: L('Årshjul', 'Vuosikello', 'Annual wheel'),
      description: L(
        'Möten i alla kommuner',
        'Tapaamiset kaikissa kunnissa',
        'Meetings in every municipality',
      ),
      activities: ['workshops', 'plans'],
      exitCriteria: [
        { kind: 'count', fact: 'Workshop.Closed', atLeast: { parameter: 'wheelMeetings' } },
        { kind: 'count', fact: 'Plan.Proposed', atLeast: 7 },
      ],
    },
  ],
};

describe('method schema', () => {
  it('defines Smarta Orter with its five stages in order and a default of 8 interviews', () => {
    expect(smartaOrter.stages.map((s) => s.key)).toEqual([
      'interviews',
      'workshop',
      'results',
      'plans',
      'guides',
    ]);
    expect(smartaOrter.parameters.minimumInterviews?.default).toBe(8);
  });

  it.each([
    ['tilannekuva', tilannekuva],
    ['medborgardialog', medborgardialog],
    ['idesluss', idesluss],
    ['samskapande', samskapande],
  ])('expresses %s', (_, method) => {
    expect(() => defineMethod(method)).not.toThrow();
  });

  it('rejects duplicate stages, unknown parameters and defaults out of range', () => {
    const stage = smartaOrter.stages[0] as Method['stages'][number];
    expect(() => defineMethod({ ...smartaOrter, stages: [stage, stage] })).toThrow(/unique/);
    expect(() =>
      defineMethod({
        ...smartaOrter,
        stages: [
          {
            ...stage,
            exitCriteria: [{ kind: 'count', fact: 'Interview.Summarised', atLeast: { parameter: 'nope' } }],
          },
        ],
      }),
    ).toThrow(/unknown parameter nope/);
    expect(() =>
      defineMethod({
        ...smartaOrter,
        parameters: { extra: { default: 0, min: 1, max: 2, label: L('a', 'b', 'c') } },
      }),
    ).toThrow(/within/);
  });

  it('runs a sister method through the engine: Tilannekuva counts forums and sectors', () => {
    const method = defineMethod(tilannekuva);
    const methods = (key: string) => (key === method.key ? method : smartaOrter);
    const context = { ...testContext(), methods };
    const start = command({
      type: 'startProcess',
      processId: 'proc-janakkala',
      placeId: 'janakkala',
      placeName: 'Janakkala',
      municipality: 'Janakkala',
      method: 'tilannekuva',
      locale: 'fi',
      facilitators: ['u-1'],
    });
    const forum = (id: string, education: number) => [
      command({
        type: 'scheduleWorkshop',
        workshopId: id,
        startsAt: '2022-11-30T08:00:00.000Z',
        endsAt: '2022-11-30T12:00:00.000Z',
        venue: 'Janakkala',
        invitees: [],
      }),
      command({
        type: 'closeWorkshop',
        workshopId: id,
        attendance: [
          { sector: 'business', ageGroup: 'age30to49', count: 20 },
          { sector: 'municipality', ageGroup: 'age50to64', count: 16 },
          ...(education
            ? [{ sector: 'education' as const, ageGroup: 'age30to49' as const, count: education }]
            : []),
        ],
        ideas: [],
      }),
    ];
    // 36 people but no school: the first forum's criterion is not met.
    expect(run([start, ...forum('f1', 0)], context).state.stageIndex).toBe(0);
    // Janakkala's first forum had 42 participants, schools among them.
    expect(run([start, ...forum('f1', 6)], context).state.stageIndex).toBe(1);
  });
});
