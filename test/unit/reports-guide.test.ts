/** The guide of a place, built from its timeline: what was done, what it gave, what was learned, plans, next steps. */
import { describe, expect, it } from 'vitest';
import type { PipelineEvent } from '../../events/catalog.ts';
import * as E from '../../events/catalog.ts';
import { buildGuide, renderGuide } from '../../shared/reports/guide.ts';
import {
  closeWorkshop,
  command,
  fact,
  participant,
  registerInterview,
  run,
  scheduleWorkshop,
  startCommand,
  testContext,
} from '../support/process.ts';

const answers = {
  whatDidWeDo: 'Vi bjöd in föreningar, företag och kommunen till en kväll om Hedes framtid.',
  whatDidItGive: 'Tolv idéer och tre nya samarbeten.',
  whatDidWeLearn: 'Unga kommer när de själva får leda en del.',
  whatIsWiseNow: 'Börja med badplatsen: den samlar flest.',
  whatDoWeNeed: 'Bygdemedel och en kontaktperson på kommunen.',
  nextConcreteStep: 'Ansöka om bygdemedel före 1 juni.',
  whichStrengths: 'Byalagets nätverk och campingens gäster.',
};

/** A place taken to the guides stage: 2 interviews, a workshop, results, two plans (one approved), a reflection. */
function throughPlans() {
  const ctx = testContext();
  const first = run(
    [
      startCommand({ minimumInterviews: 2 }),
      participant(0),
      participant(1),
      registerInterview(0),
      registerInterview(1),
      ...[0, 1].map((i) =>
        command({
          type: 'summariseInterview',
          interviewId: `i-${i}`,
          needs: ['En mötesplats'],
          wishes: ['Badplats'],
          challenges: ['Kollektivtrafik'],
          quotes: ['Vi behöver ses.'],
          themes: i === 0 ? ['mötesplatser', 'friluftsliv'] : ['mötesplatser'],
        }),
      ),
      scheduleWorkshop,
      closeWorkshop,
    ],
    ctx,
  );
  const compiled = fact(E.ResultsCompiled, E.ResultsCompiled.example, first.state, ctx);
  const plan = (planId: string, title: string) =>
    command({
      type: 'proposePlan',
      planId,
      title,
      goal: 'En trygg badplats för alla.',
      owner: { organisation: 'Hede byalag', sector: 'association' },
      partners: [{ organisation: 'Härjedalens kommun', sector: 'municipality' }],
      actions: [
        { what: 'Söka bygdemedel', who: 'Hede byalag', when: '2026-06-01' },
        { what: 'Bygga bryggan', who: 'Anna Andersson', when: '2026-08-15' },
      ],
      dueDate: '2026-09-30',
    });
  const second = run(
    [
      compiled,
      plan('plan-1', 'Ny brygga'),
      plan('plan-2', 'Ett förslag som inte godkändes'),
      command({ type: 'approvePlan', planId: 'plan-1' }),
      command({ type: 'reportPlanProgress', planId: 'plan-1', percent: 40, note: 'Bygdemedel beviljade.' }),
      command({
        type: 'recordReflection',
        reflectionId: 'r-1',
        meeting: 'Idéverkstad i bygdegården',
        answers,
      }),
      command({ type: 'confirmStage', stage: 'plans' }),
    ],
    ctx,
    first.state,
  );
  const timeline: PipelineEvent[] = [
    ...first.events,
    compiled.kind === 'fact' ? compiled.event : [],
    ...second.events,
  ].flat();
  return { state: second.state, timeline };
}

describe('buildGuide', () => {
  const { state, timeline } = throughPlans();
  const guide = buildGuide(state, timeline, '2026-05-20T08:00:00.000Z');

  it('tells what was done and how, from the stages and facts of the timeline', () => {
    expect(state.stages.at(-1)?.stage).toBe('guides');
    expect(guide.stages.map((s) => s.key)).toEqual(['interviews', 'workshop', 'results', 'plans', 'guides']);
    expect(guide.stages[0]?.completedAt).toBeDefined();
    expect(guide.interviews).toBe(2);
    expect(guide.workshops).toEqual([
      {
        startsAt: '2026-04-14T16:00:00.000Z',
        venue: 'Hede bygdegård',
        attendance: 14,
        bySector: { association: 9, business: 5 },
        ideas: 1,
      },
    ]);
  });

  it('tells what it gave: the compiled top themes and the ideas with most votes', () => {
    expect(guide.themes).toEqual([{ theme: 'mötesplatser', mentions: 6, votes: 22 }]);
    expect(guide.ideas).toEqual([{ title: 'Ny brygga', votes: 12, proposedBy: 'association' }]);
  });

  it('keeps only approved plans, with organisations and sectors and no person in an action', () => {
    expect(guide.plans.map((p) => p.planId)).toEqual(['plan-1']);
    expect(guide.plans[0]).toMatchObject({
      owner: { organisation: 'Hede byalag', sector: 'association' },
      actions: [
        { what: 'Söka bygdemedel', when: '2026-06-01', who: 'Hede byalag' },
        { what: 'Bygga bryggan', when: '2026-08-15' },
      ],
      status: 'approved',
      progress: { percent: 40, note: 'Bygdemedel beviljade.' },
    });
    expect(guide.plans[0]?.actions[1]).not.toHaveProperty('who');
  });

  it('lists the next concrete steps: reflections first, then upcoming actions by date', () => {
    expect(guide.reflections).toHaveLength(1);
    expect(guide.nextSteps).toEqual([
      { text: 'Ansöka om bygdemedel före 1 juni.' },
      { text: 'Söka bygdemedel (Ny brygga)', when: '2026-06-01' },
      { text: 'Bygga bryggan (Ny brygga)', when: '2026-08-15' },
    ]);
  });
});

describe('renderGuide', () => {
  const { state, timeline } = throughPlans();
  const guide = buildGuide(state, timeline, '2026-05-20T08:00:00.000Z');

  it('writes Markdown with the five parts and all seven reflection questions', () => {
    const { markdown } = renderGuide(guide, 'sv');
    expect(markdown).toMatch(/^# Så gjorde vi i Hede\n/);
    for (const heading of [
      'Vad vi gjorde och hur',
      'Vad det gav',
      'Vad vi lärde oss',
      'Planerna',
      'Nästa konkreta steg',
    ]) {
      expect(markdown).toContain(`## ${heading}`);
    }
    for (const answer of Object.values(answers)) expect(markdown).toContain(answer);
    expect(markdown).toContain('**Vad är klokt och listigt – det allra bästa att göra nu?**');
    expect(markdown).toContain('- Ägare: Hede byalag (Förening)');
    expect(markdown).toContain('- Partner: Härjedalens kommun (Kommun)');
    expect(markdown).toContain('| Bygga bryggan | 15 augusti 2026 |  |');
    expect(markdown).not.toContain('Anna Andersson');
    expect(markdown).not.toContain('inte godkändes');
    // Counted words agree with their numbers.
    expect(markdown).toContain('- 2 intervjuer med föreningar');
    expect(markdown).toContain('Workshop med 14 deltagare (Förening 9, Företag 5) som gav 1 idé.');
    expect(renderGuide(guide, 'en').markdown).toContain('Ny brygga: 12 votes (proposed by Association)');
  });

  it('writes a printable HTML page in Finnish and English too', () => {
    const fi = renderGuide(guide, 'fi');
    expect(fi.markdown).toMatch(/^# Näin teimme: Hede/);
    expect(fi.markdown).toContain('## Mitä opimme');
    expect(fi.html).toContain('<html lang="fi">');
    expect(fi.html).toContain(
      '<dt>Mikä on seuraava konkreettinen askel?</dt><dd>Ansöka om bygdemedel före 1 juni.</dd>',
    );
    const en = renderGuide(guide, 'en');
    expect(en.html).toContain('<h2>What we did, and how</h2>');
    expect(en.html).toContain('@media print');
    expect(en.markdown).toContain('Owner: Hede byalag (Association)');
    expect(en.html).not.toContain('Anna Andersson');
  });
});
