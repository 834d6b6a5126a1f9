/**
 * What a notification is about, read from the process and its timeline (pure): the stage, task,
 * plan or workshop it names, who the audience is, and where the published guide is.
 */
import { type EventOfType, isEvent, type PipelineEvent } from '../../events/catalog.ts';
import type { ProcessState } from '../domain/process.ts';
import { methodByKey } from '../methods/index.ts';
import { timeZones } from '../reports/format.ts';
import type { Audience, RecipientRef } from './recipients.ts';
import type { MailFacts } from './render.ts';

type Requested = EventOfType<'Notification.Requested'>['data'];

export interface NotificationContext {
  /** Everything but the links, which need the runtime (the report link's row, the public API's address). */
  facts: MailFacts;
  audience: Audience;
  /** The published guide's path under the public API (guidePublished). */
  guidePath?: string;
  /** The workshop of an invitation, for its calendar file. */
  workshop?: { workshopId: string; startsAt: string; endsAt: string; venue: string };
}

function latest<T extends PipelineEvent['metadata']['type']>(
  timeline: readonly PipelineEvent[],
  type: T,
  matches: (event: EventOfType<T>) => boolean = () => true,
): EventOfType<T> | undefined {
  for (let i = timeline.length - 1; i >= 0; i--) {
    const event = timeline[i] as PipelineEvent;
    if (isEvent(event, type) && matches(event)) return event;
  }
  return undefined;
}

export function notificationContext(
  state: ProcessState,
  timeline: readonly PipelineEvent[],
  request: Requested,
): NotificationContext {
  const { subject } = request;
  const facts: MailFacts = {
    placeName: state.placeName,
    municipality: state.municipality,
    method: state.method,
    timeZone: timeZones[state.locale],
  };
  const approvedPlans = Object.entries(state.plans)
    .filter(([, status]) => status !== 'proposed')
    .map(([planId]) => planId)
    .sort();
  const audience: Audience = {
    roles: request.audience,
    facilitators: state.facilitators,
    planIds: approvedPlans,
  };
  const context: NotificationContext = { facts, audience };

  if (subject.kind === 'stage') {
    const stages = methodByKey(state.method).stages;
    const index = stages.findIndex((stage) => stage.key === subject.id);
    facts.stage = subject.id;
    const next = index >= 0 ? stages[index + 1] : undefined;
    if (next) facts.nextStage = next.key;
  }
  if (subject.kind === 'task') {
    const task = state.tasks[subject.id];
    if (task) {
      facts.task = { key: task.key, ...(task.dueAt ? { dueAt: task.dueAt } : {}) };
      // A task with an assignee is that person's: the rest of the role need not hear of it.
      if (task.assignee) audience.facilitators = [task.assignee];
    }
  }
  if (subject.kind === 'plan') {
    const proposed = latest(timeline, 'Plan.Proposed', (e) => e.data.planId === subject.id);
    if (proposed) facts.plan = { title: proposed.data.title, owner: proposed.data.owner.organisation };
    audience.planIds = [subject.id];
  }
  if (subject.kind === 'workshop') {
    const scheduled = latest(timeline, 'Workshop.Scheduled', (e) => e.data.workshopId === subject.id);
    if (scheduled) {
      const { workshopId, startsAt, endsAt, venue, invitees } = scheduled.data;
      facts.workshop = { startsAt, endsAt, venue };
      context.workshop = { workshopId, startsAt, endsAt, venue };
      if (invitees.length) audience.participantIds = invitees;
    }
  }
  const published = latest(timeline, 'Guide.Published');
  if (published) context.guidePath = published.data.path;
  return context;
}

/** The outcome key of a notification that reached nobody at all. */
export const NOBODY = 'nobody';
export const refKey = (ref: RecipientRef) => `${ref.kind}:${ref.id}`;

/** Recipients whose outcome a previous delivery already reported (the timeline keeps every event). */
export function reportedRecipients(timeline: readonly PipelineEvent[], notificationId: string): Set<string> {
  const done = new Set<string>();
  for (const event of timeline) {
    if (
      (isEvent(event, 'Notification.Sent') || isEvent(event, 'Notification.Failed')) &&
      event.data.notificationId === notificationId
    ) {
      done.add(event.data.recipient ? refKey(event.data.recipient) : NOBODY);
    }
  }
  return done;
}
