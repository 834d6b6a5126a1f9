/** Workshops, plans and reflections: what the stages after the interviews record. */
import * as z from 'zod';
import { PlanProposed, ReflectionRecorded, WorkshopClosed, WorkshopScheduled } from '../../events/catalog.ts';
import { Locale, Sector } from '../../events/vocabulary.ts';
import { defineRoute, reply } from '../../shared/runtime/http.ts';
import { type Contact, rows } from '../../shared/store/directory.ts';
import { commandResult, runCommand } from './process.ts';
import { CommandResult } from './processes.ts';
import { Email, Id, newId, ProcessParams, StageKey, Text } from './schemas.ts';

const ScheduleWorkshop = WorkshopScheduled.data
  .extend({
    workshopId: Id.optional().describe('Generated when absent'),
    invitees: WorkshopScheduled.data.shape.invitees.default([]).describe('Participant ids'),
  })
  .refine((w) => Date.parse(w.endsAt) > Date.parse(w.startsAt), {
    path: ['endsAt'],
    message: 'the workshop ends after it starts',
  });

const Idea = WorkshopClosed.data.shape.ideas.element.extend({
  ideaId: Id.optional().describe('Generated when absent'),
});
const CloseWorkshop = z.object({
  attendance: WorkshopClosed.data.shape.attendance,
  ideas: z.array(Idea).max(200).default([]),
});

const ContactInput = z
  .object({ name: Text(200), email: Email, locale: Locale.optional() })
  .describe('Personal data: kept in the store for emails, never in events');
const PartyInput = z.object({ organisation: Text(200), sector: Sector, contact: ContactInput.optional() });
const ProposePlan = PlanProposed.data.omit({ planId: true, owner: true, partners: true }).extend({
  planId: Id.optional().describe('Generated when absent'),
  owner: PartyInput,
  partners: z.array(PartyInput).max(30).default([]),
});

const PlanParams = ProcessParams.extend({ planId: Id });
const planCommand = (
  operationId: string,
  action: 'approve' | 'progress' | 'complete',
  description: string,
) => ({
  operationId,
  tag: 'plans',
  method: 'POST' as const,
  path: `/processes/{processId}/plans/{planId}/${action}`,
  params: PlanParams,
  response: { status: 200, description, schema: CommandResult },
  errors: [404, 409],
});

export const workshopRoutes = [
  defineRoute({
    operationId: 'scheduleWorkshop',
    tag: 'workshops',
    method: 'POST',
    path: '/processes/{processId}/workshops',
    params: ProcessParams,
    body: ScheduleWorkshop,
    response: {
      status: 201,
      description: 'The workshop was scheduled; invitations follow',
      schema: CommandResult.extend({ workshopId: Id }),
    },
    errors: [404, 409],
    handle: async ({ caller, params, body, requestId }) => {
      const workshopId = body.workshopId ?? newId();
      const result = await runCommand(caller, requestId, params.processId, {
        type: 'scheduleWorkshop',
        workshopId,
        startsAt: body.startsAt,
        endsAt: body.endsAt,
        venue: body.venue,
        invitees: body.invitees,
      });
      return reply.created(commandResult(result, { workshopId }));
    },
  }),

  defineRoute({
    operationId: 'closeWorkshop',
    tag: 'workshops',
    method: 'POST',
    path: '/processes/{processId}/workshops/{workshopId}/close',
    params: ProcessParams.extend({ workshopId: Id }),
    body: CloseWorkshop,
    response: {
      status: 200,
      description: 'Attendance and ideas were recorded (the stage may have moved on)',
      schema: CommandResult,
    },
    errors: [404, 409],
    handle: async ({ caller, params, body, requestId }) =>
      reply.ok(
        commandResult(
          await runCommand(caller, requestId, params.processId, {
            type: 'closeWorkshop',
            workshopId: params.workshopId,
            attendance: body.attendance,
            ideas: body.ideas.map((idea) => ({ ...idea, ideaId: idea.ideaId ?? newId() })),
          }),
        ),
      ),
  }),

  defineRoute({
    operationId: 'proposePlan',
    tag: 'plans',
    method: 'POST',
    path: '/processes/{processId}/plans',
    params: ProcessParams,
    body: ProposePlan,
    response: {
      status: 201,
      description: 'The plan was proposed; contacts are stored apart from the event',
      schema: CommandResult.extend({ planId: Id }),
    },
    errors: [404, 409],
    handle: async ({ caller, params, body, requestId }) => {
      const planId = body.planId ?? newId();
      const { owner, partners, planId: _planId, ...plan } = body;
      const party = (p: z.infer<typeof PartyInput>) => ({ organisation: p.organisation, sector: p.sector });
      const contact = (p: z.infer<typeof PartyInput>): Contact[] => (p.contact ? [p.contact] : []);
      const partnerContacts = partners.flatMap(contact);
      const hasContacts = owner.contact !== undefined || partnerContacts.length > 0;
      const result = await runCommand(
        caller,
        requestId,
        params.processId,
        { type: 'proposePlan', ...plan, planId, owner: party(owner), partners: partners.map(party) },
        () => ({
          put: hasContacts
            ? [
                rows.planContacts(caller.orgId, params.processId, {
                  planId,
                  ...(owner.contact ? { owner: owner.contact } : {}),
                  partners: partnerContacts,
                }),
              ]
            : [],
        }),
      );
      return reply.created(commandResult(result, { planId }));
    },
  }),

  defineRoute({
    ...planCommand('approvePlan', 'approve', 'The plan was approved; its owner and partners are told'),
    handle: async ({ caller, params, requestId }) =>
      reply.ok(
        commandResult(
          await runCommand(caller, requestId, params.processId, {
            type: 'approvePlan',
            planId: params.planId,
          }),
        ),
      ),
  }),

  defineRoute({
    ...planCommand('reportPlanProgress', 'progress', 'The progress was recorded'),
    body: z.object({ percent: z.number().int().min(0).max(100), note: Text(2000) }),
    handle: async ({ caller, params, body, requestId }) =>
      reply.ok(
        commandResult(
          await runCommand(caller, requestId, params.processId, {
            type: 'reportPlanProgress',
            planId: params.planId,
            ...body,
          }),
        ),
      ),
  }),

  defineRoute({
    ...planCommand('completePlan', 'complete', 'The plan was carried out'),
    body: z.object({ outcome: Text(2000) }),
    handle: async ({ caller, params, body, requestId }) =>
      reply.ok(
        commandResult(
          await runCommand(caller, requestId, params.processId, {
            type: 'completePlan',
            planId: params.planId,
            outcome: body.outcome,
          }),
        ),
      ),
  }),

  defineRoute({
    operationId: 'recordReflection',
    tag: 'reflections',
    method: 'POST',
    path: '/processes/{processId}/reflections',
    params: ProcessParams,
    body: z.object({
      reflectionId: Id.optional().describe('Generated when absent'),
      stage: StageKey.optional().describe('The stage reflected on; the current one when absent'),
      meeting: Text(200).optional(),
      answers: ReflectionRecorded.data.shape.answers,
    }),
    response: {
      status: 201,
      description: 'The seven reflection questions were recorded',
      schema: CommandResult.extend({ reflectionId: Id }),
    },
    errors: [404, 409],
    handle: async ({ caller, params, body, requestId }) => {
      const reflectionId = body.reflectionId ?? newId();
      const result = await runCommand(caller, requestId, params.processId, {
        type: 'recordReflection',
        reflectionId,
        ...(body.stage ? { stage: body.stage } : {}),
        ...(body.meeting ? { meeting: body.meeting } : {}),
        answers: body.answers,
      });
      return reply.created(commandResult(result, { reflectionId }));
    },
  }),
];
