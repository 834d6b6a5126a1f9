/**
 * The guide of a place (stage 5 of Smarta Orter): how-to material for other places, built from what
 * this one did. `buildGuide` reads the process and its timeline (pure); `renderGuide` writes it as
 * Markdown and a printable HTML page. Plans name organisations and sectors, never people.
 */
import {
  type EventOfType,
  isEvent,
  type PipelineEvent,
  type reflectionQuestions,
} from '../../events/catalog.ts';
import { type Locale, type Sector, sectorLabels } from '../../events/vocabulary.ts';
import type { ProcessState } from '../domain/process.ts';
import { compileResults } from '../domain/results.ts';
import { methodByKey } from '../methods/index.ts';
import {
  escapeHtml,
  escapeMarkdown,
  fill,
  formatDate,
  formatNumber,
  htmlPage,
  localeTags,
} from './format.ts';

type Question = (typeof reflectionQuestions)[number];
type Party = { organisation: string; sector: Sector };

export interface GuidePlan {
  planId: string;
  title: string;
  goal: string;
  owner: Party;
  partners: Party[];
  /** `who` only when it names one of the plan's organisations: an action never names a person. */
  actions: { what: string; when: string; who?: string }[];
  dueDate: string;
  status: 'approved' | 'completed';
  progress?: { percent: number; note: string };
  outcome?: string;
}

export interface GuideModel {
  placeName: string;
  municipality: string;
  method: string;
  generatedAt: string;
  stages: { key: string; startedAt: string; completedAt?: string; manual?: boolean; reason?: string }[];
  interviews: number;
  workshops: {
    startsAt?: string;
    venue?: string;
    attendance: number;
    bySector: Partial<Record<Sector, number>>;
    ideas: number;
  }[];
  themes: { theme: string; mentions: number; votes: number }[];
  ideas: { title: string; votes: number; proposedBy: Sector }[];
  reflections: { stage: string; meeting?: string; answers: Record<Question, string> }[];
  plans: GuidePlan[];
  nextSteps: { text: string; when?: string }[];
}

/** How many themes, ideas and next steps the guide lists: it is an overview, the report has the rest. */
export const GUIDE_TOP = 5;
export const GUIDE_NEXT_STEPS = 10;

type Of<T extends PipelineEvent['metadata']['type']> = EventOfType<T>;

export function buildGuide(state: ProcessState, timeline: readonly PipelineEvent[], generatedAt: string) {
  const of = <T extends PipelineEvent['metadata']['type']>(type: T) =>
    timeline.filter((event): event is Of<T> => isEvent(event, type));
  const lastBy = <T extends { data: Record<string, unknown> }>(events: T[], key: string) => {
    const map = new Map<string, T>();
    for (const event of events) map.set(String(event.data[key]), event);
    return map;
  };

  const summaries = [...lastBy(of('Interview.Summarised'), 'interviewId').values()].map((e) => e.data);
  const closed = [...lastBy(of('Workshop.Closed'), 'workshopId').values()].map((e) => e.data);
  const scheduled = lastBy(of('Workshop.Scheduled'), 'workshopId');
  const compiled = compileResults(summaries, closed);
  const resultsEvent = of('Results.Compiled').at(-1);
  const themes = (resultsEvent?.data.themes ?? compiled.themes).slice(0, GUIDE_TOP);

  const approved = new Set([
    ...of('Plan.Approved').map((e) => e.data.planId),
    ...Object.entries(state.plans)
      .filter(([, status]) => status !== 'proposed')
      .map(([planId]) => planId),
  ]);
  const completed = lastBy(of('Plan.Completed'), 'planId');
  const progress = lastBy(of('Plan.ProgressReported'), 'planId');
  const plans: GuidePlan[] = [...lastBy(of('Plan.Proposed'), 'planId').values()]
    .filter((event) => approved.has(event.data.planId))
    .map(({ data }) => {
      const organisations = new Set(
        [data.owner, ...data.partners].map((p) => p.organisation.trim().toLocaleLowerCase()),
      );
      const done = completed.get(data.planId);
      const reported = progress.get(data.planId);
      return {
        planId: data.planId,
        title: data.title,
        goal: data.goal,
        owner: data.owner,
        partners: data.partners,
        actions: [...data.actions]
          .sort((a, b) => a.when.localeCompare(b.when))
          .map((action) => ({
            what: action.what,
            when: action.when,
            ...(organisations.has(action.who.trim().toLocaleLowerCase()) ? { who: action.who } : {}),
          })),
        dueDate: data.dueDate,
        status: done ? 'completed' : 'approved',
        ...(reported ? { progress: { percent: reported.data.percent, note: reported.data.note } } : {}),
        ...(done ? { outcome: done.data.outcome } : {}),
      };
    });

  const reflections = [...lastBy(of('Reflection.Recorded'), 'reflectionId').values()].map(({ data }) => ({
    stage: data.stage,
    ...(data.meeting ? { meeting: data.meeting } : {}),
    answers: data.answers,
  }));
  const today = generatedAt.slice(0, 10);
  const nextSteps = [
    ...reflections.map((r) => ({ text: r.answers.nextConcreteStep })),
    ...plans
      .filter((plan) => plan.status === 'approved')
      .flatMap((plan) =>
        plan.actions
          .filter((action) => action.when >= today)
          .map((action) => ({ text: `${action.what} (${plan.title})`, when: action.when })),
      )
      .sort((a, b) => a.when.localeCompare(b.when)),
  ].slice(0, GUIDE_NEXT_STEPS);

  const model: GuideModel = {
    placeName: state.placeName,
    municipality: state.municipality,
    method: state.method,
    generatedAt,
    stages: state.stages.map(({ stage, ...rest }) => ({ key: stage, ...rest })),
    interviews: summaries.length,
    workshops: closed.map((workshop) => {
      const bySector: Partial<Record<Sector, number>> = {};
      for (const row of workshop.attendance) bySector[row.sector] = (bySector[row.sector] ?? 0) + row.count;
      const plan = scheduled.get(workshop.workshopId)?.data;
      return {
        ...(plan ? { startsAt: plan.startsAt, venue: plan.venue } : {}),
        attendance: workshop.attendance.reduce((sum, row) => sum + row.count, 0),
        bySector,
        ideas: workshop.ideas.length,
      };
    }),
    themes: themes.map(({ theme, mentions, votes }) => ({ theme, mentions, votes })),
    ideas: compiled.topIdeas.slice(0, GUIDE_TOP),
    reflections,
    plans,
    nextSteps,
  };
  return model;
}

type Strings = {
  title: string;
  lead: string;
  generated: string;
  done: string;
  stage: string;
  period: string;
  ongoing: string;
  manual: string;
  interviews: string;
  workshop: string;
  workshopAt: string;
  /** Counted words, singular and plural ({n} is the number). */
  units: Record<'interview' | 'idea' | 'vote' | 'participant', [string, string]>;
  gave: string;
  themes: string;
  themeLine: string;
  ideas: string;
  ideaLine: string;
  learned: string;
  reflectionIn: string;
  questions: Record<Question, string>;
  plans: string;
  owner: string;
  partners: string;
  goal: string;
  actions: string;
  when: string;
  who: string;
  due: string;
  progress: string;
  outcome: string;
  next: string;
  none: string;
  footer: string;
};

const strings: Record<Locale, Strings> = {
  sv: {
    title: 'Så gjorde vi i {place}',
    lead: 'En guide från {method} i {place}, {municipality}: vad orten gjorde, vad det gav och vad den lärde sig, för andra som vill göra samma resa.',
    generated: 'Guiden skapades {date}',
    done: 'Vad vi gjorde och hur',
    stage: 'Steg',
    period: 'Period',
    ongoing: 'pågår',
    manual: 'avslutat manuellt: {reason}',
    interviews:
      '{interviews} med föreningar, företag och kommun fångade ortens behov, önskemål och utmaningar.',
    workshop: 'Workshop med {participants} ({sectors}) som gav {ideas}.',
    workshopAt: '{date} i {venue}',
    units: {
      interview: ['{n} intervju', '{n} intervjuer'],
      idea: ['{n} idé', '{n} idéer'],
      vote: ['{n} röst', '{n} röster'],
      participant: ['{n} deltagare', '{n} deltagare'],
    },
    gave: 'Vad det gav',
    themes: 'Det som betydde mest',
    themeLine: '{theme}: {interviews}, {votes}',
    ideas: 'Idéerna med flest röster',
    ideaLine: '{title}: {votes} (föreslagen av {sector})',
    learned: 'Vad vi lärde oss',
    reflectionIn: 'Reflektion: {name}',
    questions: {
      whatDidWeDo: 'Vad har vi gjort? Hur blev det gjort?',
      whatDidItGive: 'Vad har det gett oss, andra och situationen?',
      whatDidWeLearn: 'Vad har vi lärt oss av detta?',
      whatIsWiseNow: 'Vad är klokt och listigt – det allra bästa att göra nu?',
      whatDoWeNeed: 'Vad behöver vi för att lyckas med det?',
      nextConcreteStep: 'Vad är nästa konkreta steg?',
      whichStrengths: 'Vilka styrkor behövs för att ta oss vidare?',
    },
    plans: 'Planerna',
    owner: 'Ägare',
    partners: 'Partner',
    goal: 'Mål',
    actions: 'Aktiviteter',
    when: 'När',
    who: 'Vem',
    due: 'Klart senast {date}',
    progress: 'Lägesrapport: {percent} % – {note}',
    outcome: 'Genomförd: {outcome}',
    next: 'Nästa konkreta steg',
    none: 'Inget ännu.',
    footer: 'Guiden är framtagen av samskapa ur ortens tidslinje, reflektioner och planer.',
  },
  fi: {
    title: 'Näin teimme: {place}',
    lead: 'Opas menetelmästä {method}, {place} ({municipality}): mitä taajama teki, mitä se antoi ja mitä opittiin, muille samalle matkalle lähteville.',
    generated: 'Opas luotu {date}',
    done: 'Mitä teimme ja miten',
    stage: 'Vaihe',
    period: 'Ajanjakso',
    ongoing: 'käynnissä',
    manual: 'päätetty käsin: {reason}',
    interviews:
      '{interviews} yhdistysten, yritysten ja kunnan kanssa toi esiin taajaman tarpeet, toiveet ja haasteet.',
    workshop: 'Työpajassa oli {participants} ({sectors}), ja siitä syntyi {ideas}.',
    workshopAt: '{date}, {venue}',
    units: {
      interview: ['{n} haastattelu', '{n} haastattelua'],
      idea: ['{n} idea', '{n} ideaa'],
      vote: ['{n} ääni', '{n} ääntä'],
      participant: ['{n} osallistuja', '{n} osallistujaa'],
    },
    gave: 'Mitä se antoi',
    themes: 'Tärkeimmät asiat',
    themeLine: '{theme}: {interviews}, {votes}',
    ideas: 'Eniten ääniä saaneet ideat',
    ideaLine: '{title}: {votes} (ehdottaja: {sector})',
    learned: 'Mitä opimme',
    reflectionIn: 'Reflektio: {name}',
    questions: {
      whatDidWeDo: 'Mitä olemme tehneet? Miten se tehtiin?',
      whatDidItGive: 'Mitä se on antanut meille, muille ja tilanteelle?',
      whatDidWeLearn: 'Mitä olemme tästä oppineet?',
      whatIsWiseNow: 'Mikä on viisasta ja ovelaa – parasta tehdä nyt?',
      whatDoWeNeed: 'Mitä tarvitsemme onnistuaksemme siinä?',
      nextConcreteStep: 'Mikä on seuraava konkreettinen askel?',
      whichStrengths: 'Mitä vahvuuksia tarvitaan, jotta pääsemme eteenpäin?',
    },
    plans: 'Suunnitelmat',
    owner: 'Omistaja',
    partners: 'Kumppanit',
    goal: 'Tavoite',
    actions: 'Toimenpiteet',
    when: 'Milloin',
    who: 'Kuka',
    due: 'Valmis viimeistään {date}',
    progress: 'Tilannekatsaus: {percent} % – {note}',
    outcome: 'Toteutettu: {outcome}',
    next: 'Seuraavat konkreettiset askeleet',
    none: 'Ei vielä mitään.',
    footer: 'Oppaan on koonnut samskapa taajaman aikajanasta, reflektioista ja suunnitelmista.',
  },
  en: {
    title: 'How we did it in {place}',
    lead: 'A guide from {method} in {place}, {municipality}: what the place did, what it gave and what it learned, for others who want to make the same journey.',
    generated: 'Guide created {date}',
    done: 'What we did, and how',
    stage: 'Stage',
    period: 'Period',
    ongoing: 'ongoing',
    manual: 'completed by hand: {reason}',
    interviews:
      '{interviews} with associations, businesses and the municipality captured the needs, wishes and challenges of the place.',
    workshop: 'A workshop with {participants} ({sectors}) gave {ideas}.',
    workshopAt: '{date}, {venue}',
    units: {
      interview: ['{n} interview', '{n} interviews'],
      idea: ['{n} idea', '{n} ideas'],
      vote: ['{n} vote', '{n} votes'],
      participant: ['{n} participant', '{n} participants'],
    },
    gave: 'What it gave',
    themes: 'What mattered most',
    themeLine: '{theme}: {interviews}, {votes}',
    ideas: 'The ideas with the most votes',
    ideaLine: '{title}: {votes} (proposed by {sector})',
    learned: 'What we learned',
    reflectionIn: 'Reflection: {name}',
    questions: {
      whatDidWeDo: 'What did we do? How was it done?',
      whatDidItGive: 'What did it give us, others and the situation?',
      whatDidWeLearn: 'What did we learn from it?',
      whatIsWiseNow: 'What is wise and clever – the very best thing to do now?',
      whatDoWeNeed: 'What do we need to succeed with it?',
      nextConcreteStep: 'What is the next concrete step?',
      whichStrengths: 'Which strengths do we need to move on?',
    },
    plans: 'The plans',
    owner: 'Owner',
    partners: 'Partners',
    goal: 'Goal',
    actions: 'Actions',
    when: 'When',
    who: 'Who',
    due: 'Done by {date}',
    progress: 'Progress: {percent}% – {note}',
    outcome: 'Carried out: {outcome}',
    next: 'Next concrete steps',
    none: 'Nothing yet.',
    footer: 'This guide was compiled by samskapa from the timeline, reflections and plans of the place.',
  },
};

export function guideStrings(locale: Locale): Strings {
  return strings[locale];
}

/** Markdown or HTML: the guide's structure once, written in either syntax. */
interface Writer {
  h1(text: string): string;
  h2(text: string): string;
  h3(text: string): string;
  p(text: string): string;
  em(text: string): string;
  list(items: string[]): string;
  definitions(items: [string, string][]): string;
  table(head: string[], rows: string[][]): string;
}

const markdown: Writer = {
  h1: (text) => `# ${escapeMarkdown(text)}\n`,
  h2: (text) => `## ${escapeMarkdown(text)}\n`,
  h3: (text) => `### ${escapeMarkdown(text)}\n`,
  p: (text) => `${escapeMarkdown(text)}\n`,
  em: (text) => `*${escapeMarkdown(text)}*\n`,
  list: (items) => `${items.map((item) => `- ${escapeMarkdown(item)}`).join('\n')}\n`,
  definitions: (items) =>
    `${items.map(([term, text]) => `**${escapeMarkdown(term)}**\n\n${escapeMarkdown(text)}\n`).join('\n')}`,
  table: (head, rows) =>
    `${[
      `| ${head.map(escapeMarkdown).join(' | ')} |`,
      `| ${head.map(() => '---').join(' | ')} |`,
      ...rows.map((row) => `| ${row.map(escapeMarkdown).join(' | ')} |`),
    ].join('\n')}\n`,
};

const e = escapeHtml;
const html: Writer = {
  h1: (text) => `<h1>${e(text)}</h1>`,
  h2: (text) => `<h2>${e(text)}</h2>`,
  h3: (text) => `<h3>${e(text)}</h3>`,
  p: (text) => `<p>${e(text)}</p>`,
  em: (text) => `<p class="lead">${e(text)}</p>`,
  list: (items) => `<ul>${items.map((item) => `<li>${e(item)}</li>`).join('')}</ul>`,
  definitions: (items) =>
    `<dl>${items.map(([term, text]) => `<dt>${e(term)}</dt><dd>${e(text)}</dd>`).join('')}</dl>`,
  table: (head, rows) =>
    `<table><thead><tr>${head.map((h) => `<th>${e(h)}</th>`).join('')}</tr></thead><tbody>${rows
      .map((row) => `<tr>${row.map((cell) => `<td>${e(cell)}</td>`).join('')}</tr>`)
      .join('')}</tbody></table>`,
};

export function renderGuide(model: GuideModel, locale: Locale): { markdown: string; html: string } {
  const title = fill(strings[locale].title, { place: model.placeName });
  return {
    markdown: write(model, locale, markdown).join('\n'),
    html: htmlPage({ title, locale, body: write(model, locale, html).join('\n') }),
  };
}

function write(model: GuideModel, locale: Locale, w: Writer): string[] {
  const t = strings[locale];
  const method = methodByKey(model.method);
  const stageName = (key: string) => method.stages.find((s) => s.key === key)?.name[locale] ?? key;
  const date = (iso: string) => formatDate(iso, locale);
  const n = (value: number) => formatNumber(value, locale);
  const plural = new Intl.PluralRules(localeTags[locale]);
  const count = (unit: keyof Strings['units'], value: number) =>
    fill(t.units[unit][plural.select(value) === 'one' ? 0 : 1], { n: n(value) });
  const sector = (s: Sector) => sectorLabels[s][locale];
  const party = (p: Party) => `${p.organisation} (${sector(p.sector)})`;
  const values = { place: model.placeName, municipality: model.municipality, method: method.name[locale] };
  const out: string[] = [
    w.h1(fill(t.title, values)),
    w.em(fill(t.lead, values)),
    w.p(fill(t.generated, { date: date(model.generatedAt) })),
    w.h2(t.done),
  ];

  out.push(
    w.table(
      [t.stage, t.period],
      model.stages.map((stage) => {
        const period = `${date(stage.startedAt)} – ${stage.completedAt ? date(stage.completedAt) : t.ongoing}`;
        const manual = stage.manual && stage.reason ? `; ${fill(t.manual, { reason: stage.reason })}` : '';
        return [stageName(stage.key), `${period}${manual}`];
      }),
    ),
  );
  const facts: string[] = [fill(t.interviews, { interviews: count('interview', model.interviews) })];
  for (const workshop of model.workshops) {
    const sectors = (Object.entries(workshop.bySector) as [Sector, number][])
      .map(([s, count]) => `${sector(s)} ${n(count)}`)
      .join(', ');
    const when =
      workshop.startsAt && workshop.venue
        ? ` ${fill(t.workshopAt, { date: date(workshop.startsAt), venue: workshop.venue })}.`
        : '';
    facts.push(
      `${fill(t.workshop, {
        participants: count('participant', workshop.attendance),
        sectors,
        ideas: count('idea', workshop.ideas),
      })}${when}`,
    );
  }
  out.push(w.list(facts));

  out.push(w.h2(t.gave), w.h3(t.themes));
  out.push(
    model.themes.length
      ? w.list(
          model.themes.map((theme) =>
            fill(t.themeLine, {
              theme: theme.theme,
              interviews: count('interview', theme.mentions),
              votes: count('vote', theme.votes),
            }),
          ),
        )
      : w.p(t.none),
  );
  out.push(w.h3(t.ideas));
  out.push(
    model.ideas.length
      ? w.list(
          model.ideas.map((idea) =>
            fill(t.ideaLine, {
              title: idea.title,
              votes: count('vote', idea.votes),
              sector: sector(idea.proposedBy),
            }),
          ),
        )
      : w.p(t.none),
  );

  out.push(w.h2(t.learned));
  if (!model.reflections.length) out.push(w.p(t.none));
  for (const reflection of model.reflections) {
    const name = reflection.meeting
      ? `${reflection.meeting} (${stageName(reflection.stage)})`
      : stageName(reflection.stage);
    out.push(
      w.h3(fill(t.reflectionIn, { name })),
      w.definitions(
        (Object.keys(t.questions) as Question[]).map((q) => [t.questions[q], reflection.answers[q]]),
      ),
    );
  }

  out.push(w.h2(t.plans));
  if (!model.plans.length) out.push(w.p(t.none));
  for (const plan of model.plans) {
    const lines = [
      `${t.goal}: ${plan.goal}`,
      `${t.owner}: ${party(plan.owner)}`,
      ...(plan.partners.length ? [`${t.partners}: ${plan.partners.map(party).join(', ')}`] : []),
      fill(t.due, { date: date(plan.dueDate) }),
      ...(plan.progress
        ? [fill(t.progress, { percent: plan.progress.percent, note: plan.progress.note })]
        : []),
      ...(plan.outcome ? [fill(t.outcome, { outcome: plan.outcome })] : []),
    ];
    out.push(
      w.h3(plan.title),
      w.list(lines),
      w.table(
        [t.actions, t.when, t.who],
        plan.actions.map((action) => [action.what, date(action.when), action.who ?? '']),
      ),
    );
  }

  out.push(w.h2(t.next));
  out.push(
    model.nextSteps.length
      ? w.list(model.nextSteps.map((step) => (step.when ? `${date(step.when)}: ${step.text}` : step.text)))
      : w.p(t.none),
  );
  out.push(w.p(t.footer));
  return out;
}
