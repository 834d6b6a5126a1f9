/** Builders for driving the process engine in tests: a fixed clock, counting ids, ready commands. */
import type { PipelineEvent } from '../../events/catalog.ts';
import {
  type Command,
  type EngineContext,
  handle,
  type Input,
  type ProcessState,
} from '../../shared/domain/process.ts';

export const ORG = 'org-jh';
export const facilitator = { kind: 'user', id: 'u-facilitator-1' } as const;

/** Deterministic ids (valid ULIDs) and a clock that ticks one second per event. */
export function testContext(start = Date.UTC(2026, 2, 2, 8)): Required<Pick<EngineContext, 'now' | 'newId'>> {
  let n = 0;
  let t = start;
  return {
    newId: () => `01J${String(n++).padStart(23, '0')}`,
    now: () => {
      t += 1000;
      return new Date(t);
    },
  };
}

let requests = 0;
export function command(body: Record<string, unknown> & { type: Command['type'] }): Input {
  return {
    kind: 'command',
    command: { orgId: ORG, actor: facilitator, requestId: `req-${++requests}`, ...body } as Command,
  };
}

export const startCommand = (overrides: Record<string, number> = {}, processId = 'proc-hede') =>
  command({
    type: 'startProcess',
    processId,
    placeId: 'hede',
    placeName: 'Hede',
    municipality: 'Härjedalen',
    method: 'smarta-orter',
    locale: 'sv',
    facilitators: ['u-facilitator-1'],
    overrides,
  });

export const participant = (i: number) =>
  command({
    type: 'registerParticipant',
    participantId: `p-${i}`,
    sector: (['association', 'business', 'municipality'] as const)[i % 3],
    ageGroup: (['age18to29', 'age30to49', 'age65plus'] as const)[i % 3],
    locale: 'sv',
    consent: { recording: true, contact: true },
  });

export const registerInterview = (i: number) =>
  command({
    type: 'registerInterview',
    interviewId: `i-${i}`,
    participantId: `p-${i}`,
    consentRecordedAt: '2026-03-02T09:00:00.000Z',
  });

export const summarise = (i: number) =>
  command({
    type: 'summariseInterview',
    interviewId: `i-${i}`,
    needs: ['En mötesplats'],
    wishes: ['Badplats'],
    challenges: ['Kollektivtrafik'],
    quotes: ['Vi behöver ses.'],
    themes: ['mötesplatser'],
  });

export const scheduleWorkshop = command({
  type: 'scheduleWorkshop',
  workshopId: 'w-1',
  startsAt: '2026-04-14T16:00:00.000Z',
  endsAt: '2026-04-14T19:00:00.000Z',
  venue: 'Hede bygdegård',
  invitees: ['p-0'],
});

export const closeWorkshop = command({
  type: 'closeWorkshop',
  workshopId: 'w-1',
  attendance: [
    { sector: 'association', ageGroup: 'age30to49', count: 9 },
    { sector: 'business', ageGroup: 'age50to64', count: 5 },
  ],
  ideas: [
    { ideaId: 'idea-1', title: 'Ny brygga', votes: 12, proposedBy: 'association', themes: ['friluftsliv'] },
  ],
});

export const proposePlan = (planId = 'plan-1') =>
  command({
    type: 'proposePlan',
    planId,
    title: 'Ny brygga',
    goal: 'En trygg badplats',
    owner: { organisation: 'Hede byalag', sector: 'association' },
    partners: [{ organisation: 'Härjedalens kommun', sector: 'municipality' }],
    actions: [{ what: 'Söka bygdemedel', who: 'Byalaget', when: '2026-06-01' }],
    dueDate: '2026-09-30',
  });

/** Runs inputs one after another, collecting every event and the final state. */
export function run(inputs: Input[], context: EngineContext = testContext(), initial?: ProcessState) {
  let state = initial;
  const events: PipelineEvent[] = [];
  for (const input of inputs) {
    const result = handle(state, input, context);
    state = result.state;
    events.push(...result.events);
  }
  return { state: state as ProcessState, events };
}

export const types = (events: PipelineEvent[]) => events.map((e) => e.metadata.type);

import * as E from '../../events/catalog.ts';
import type { AnyEventDefinition } from '../../events/envelope.ts';

/** A fact from another part of the pipeline (results compiler, guide builder, recording ingest). */
export function fact(
  definition: AnyEventDefinition,
  data: unknown,
  state: Pick<ProcessState, 'orgId' | 'placeId' | 'processId' | 'correlationId'>,
  context: EngineContext = testContext(Date.UTC(2026, 5, 1)),
): Input {
  const event = definition.create(
    {
      metadata: {
        orgId: state.orgId,
        placeId: state.placeId,
        processId: state.processId,
        correlationId: state.correlationId,
        causationId: 'cause-1',
        actor: { kind: 'system', id: 'test' },
      },
      data,
    },
    context,
  ) as PipelineEvent;
  return { kind: 'fact', event };
}

export const resultsCompiledData = {
  ...E.ResultsCompiled.example,
};
export const guideGeneratedData = { ...E.GuideGenerated.example, guideId: 'guide-1' };
