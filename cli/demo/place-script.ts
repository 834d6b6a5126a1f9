/**
 * One place going through Smarta Orter, told as the commands a facilitator would give: register
 * participants, hold and summarise interviews, run the workshop, propose and approve plans, reflect,
 * publish the guide. The pipeline does the rest.
 */
import { reflectionQuestions } from '../../events/catalog.ts';
import type { Command } from '../../shared/domain/process.ts';
import {
  ageGroupOf,
  type DemoPlace,
  interviewSummary,
  type Random,
  sectorOf,
  workshopIdeas,
} from './content.ts';

export type CommandBody = Omit<Command, 'orgId' | 'actor' | 'requestId'> & { processId?: string };

export interface PlaceScriptHooks {
  /** Runs one command for the place's process. */
  command(body: CommandBody): Promise<void> | void;
  /** Uploads a recording for a registered interview; the pipeline records it. */
  record(interviewId: string, index: number): Promise<void> | void;
  /** The guide generated for the process, once the guides stage has begun. */
  guideId(): Promise<string> | string;
  /** Waits until the pipeline has moved the process to this stage (results arrive asynchronously). */
  reached?(stage: string): Promise<void> | void;
}

export const DEMO_FACILITATOR = 'u-facilitator-1';

export async function runPlaceScript(
  place: DemoPlace,
  processId: string,
  random: Random,
  hooks: PlaceScriptHooks,
) {
  const minimumInterviews = 8;
  await hooks.command({
    type: 'startProcess',
    processId,
    placeId: place.placeId,
    placeName: place.name,
    municipality: place.municipality,
    method: 'smarta-orter',
    locale: 'sv',
    facilitators: [DEMO_FACILITATOR],
    overrides: { minimumInterviews },
  } as CommandBody);

  // Interviews: a mix of sectors and generations; a few decline recording and are not interviewed.
  let interviewed = 0;
  for (let i = 0; interviewed < minimumInterviews; i++) {
    const participantId = `p-${i + 1}`;
    const recording = random.next() > 0.1;
    await hooks.command({
      type: 'registerParticipant',
      processId,
      participantId,
      sector: sectorOf(random),
      ageGroup: ageGroupOf(random),
      locale: 'sv',
      consent: { recording, contact: random.next() > 0.2 },
    } as CommandBody);
    if (!recording) continue;
    const interviewId = `i-${i + 1}`;
    await hooks.command({
      type: 'registerInterview',
      processId,
      interviewId,
      participantId,
      consentRecordedAt: new Date().toISOString(),
    } as CommandBody);
    await hooks.record(interviewId, i);
    interviewed++;
    await hooks.command({
      type: 'summariseInterview',
      processId,
      interviewId,
      ...interviewSummary(random),
    } as CommandBody);
  }

  // Workshop: associations, businesses and the municipality meet; ideas get votes.
  const workshopId = 'w-1';
  const startsAt = new Date(Date.now() + 14 * 86_400_000);
  await hooks.command({
    type: 'scheduleWorkshop',
    processId,
    workshopId,
    startsAt: startsAt.toISOString(),
    endsAt: new Date(startsAt.getTime() + 3 * 3_600_000).toISOString(),
    venue: `${place.name} bygdegård`,
    invitees: ['p-1', 'p-2', 'p-3'],
  } as CommandBody);
  const ideas = workshopIdeas(random, 12);
  await hooks.command({
    type: 'closeWorkshop',
    processId,
    workshopId,
    attendance: [
      { sector: 'association', ageGroup: 'age30to49', count: random.int(4, 12) },
      { sector: 'business', ageGroup: 'age50to64', count: random.int(2, 8) },
      { sector: 'municipality', ageGroup: 'age30to49', count: random.int(1, 4) },
      { sector: 'resident', ageGroup: 'age65plus', count: random.int(1, 6) },
      { sector: 'resident', ageGroup: 'under18', count: random.int(0, 5) || 1 },
    ],
    ideas,
  } as CommandBody);
  await hooks.command({
    type: 'recordReflection',
    processId,
    reflectionId: 'r-workshop',
    stage: 'workshop',
    meeting: `Workshop i ${place.name}`,
    answers: Object.fromEntries(reflectionQuestions.map((q) => [q, reflectionAnswers[q]])),
  } as CommandBody);

  // Plans: once the results are compiled, the three most voted ideas become plans with an owner and
  // partners from the three sectors.
  await hooks.reached?.('plans');
  const top = [...ideas].sort((a, b) => b.votes - a.votes).slice(0, 3);
  for (const [i, idea] of top.entries()) {
    const planId = `plan-${i + 1}`;
    await hooks.command({
      type: 'proposePlan',
      processId,
      planId,
      ideaId: idea.ideaId,
      title: idea.title,
      goal: `${idea.title} i ${place.name}, genomfört i samverkan mellan förening, företag och kommun.`,
      owner: { organisation: `${place.name} byalag`, sector: 'association' },
      partners: [
        { organisation: `${place.name} Handel AB`, sector: 'business' },
        { organisation: `${place.municipality} kommun`, sector: 'municipality' },
      ],
      actions: [
        { what: 'Söka bygdemedel', who: 'Byalaget', when: isoDate(30) },
        { what: 'Genomföra', who: 'Arbetsgruppen', when: isoDate(120) },
      ],
      budget: { amount: random.int(10, 200) * 1000, currency: 'SEK' },
      dueDate: isoDate(180),
    } as CommandBody);
    await hooks.command({ type: 'approvePlan', processId, planId } as CommandBody);
  }
  await hooks.command({
    type: 'confirmStage',
    processId,
    stage: 'plans',
    note: 'Alla planer har ägare.',
  } as CommandBody);

  // Guides: the guide builder generated the guide on entering the stage; the facilitator publishes it.
  const guideId = await hooks.guideId();
  await hooks.command({
    type: 'publishGuide',
    processId,
    guideId,
    path: `/guides/demo/${place.placeId}`,
  } as CommandBody);
}

const reflectionAnswers: Record<(typeof reflectionQuestions)[number], string> = {
  whatDidWeDo: 'Vi bjöd in föreningar, företag och kommunen till en kväll om ortens framtid.',
  whatDidItGive: 'Tolv idéer och nya kontakter mellan sektorerna.',
  whatDidWeLearn: 'Unga kommer när de själva får leda en del av kvällen.',
  whatIsWiseNow: 'Börja med det som samlar flest röster.',
  whatDoWeNeed: 'Bygdemedel och en kontaktperson på kommunen.',
  nextConcreteStep: 'Söka bygdemedel inom en månad.',
  whichStrengths: 'Föreningarnas nätverk och företagens engagemang.',
};

function isoDate(daysAhead: number): string {
  return new Date(Date.now() + daysAhead * 86_400_000).toISOString().slice(0, 10);
}
