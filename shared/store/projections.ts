/**
 * Rows derived from what a change emitted, written in the same transaction: tasks for the assignee
 * index, and the needs and ideas of the regional knowledge bank. They can be rebuilt from the timeline.
 */
import { isEvent, type PipelineEvent } from '../../events/catalog.ts';
import type { ProcessState } from '../domain/process.ts';
import { assigneeGsiPk, assigneeGsiSk, bankPk, ideaSk, needSk, processPk, taskSk } from './keys.ts';
import type { RowChanges } from './process-store.ts';

export function projectionRows(state: ProcessState, emitted: readonly PipelineEvent[]): RowChanges {
  const put: Record<string, unknown>[] = [];
  const pk = processPk(state.orgId, state.processId);
  const tasks = new Set<string>();
  for (const event of emitted) {
    if (
      isEvent(event, 'Task.Created') ||
      isEvent(event, 'Task.Completed') ||
      isEvent(event, 'Task.Overdue')
    ) {
      tasks.add(event.data.taskId);
    }
    // A completed stage closes its open tasks: their rows leave the assignee index.
    if (isEvent(event, 'Stage.Completed'))
      for (const [taskId, task] of Object.entries(state.tasks))
        if (task.stage === event.data.stage) tasks.add(taskId);
    if (isEvent(event, 'Interview.Summarised')) {
      const kinds = [
        ...event.data.needs.map((text) => ({ kind: 'need', text })),
        ...event.data.wishes.map((text) => ({ kind: 'wish', text })),
        ...event.data.challenges.map((text) => ({ kind: 'challenge', text })),
      ];
      for (const [n, entry] of kinds.entries()) {
        put.push({
          pk: bankPk(state.orgId),
          sk: needSk(state.processId, event.data.interviewId, n),
          itemType: 'need',
          ...entry,
          themes: event.data.themes,
          sector: event.data.sector,
          placeId: state.placeId,
          placeName: state.placeName,
          municipality: state.municipality,
        });
      }
    }
    if (isEvent(event, 'Workshop.Closed')) {
      for (const idea of event.data.ideas) {
        put.push({
          pk: bankPk(state.orgId),
          sk: ideaSk(state.processId, idea.ideaId),
          itemType: 'idea',
          title: idea.title,
          votes: idea.votes,
          proposedBy: idea.proposedBy,
          themes: idea.themes,
          placeId: state.placeId,
          placeName: state.placeName,
          municipality: state.municipality,
        });
      }
    }
  }
  for (const taskId of tasks) {
    const task = state.tasks[taskId];
    if (!task) continue;
    const open = task.status === 'open';
    const { assignee } = task;
    put.push({
      pk,
      sk: taskSk(taskId),
      itemType: 'task',
      taskId,
      processId: state.processId,
      placeId: state.placeId,
      ...task,
      // Only open tasks are in the assignee index: completing one takes it out.
      ...(open && assignee
        ? { gsi2pk: assigneeGsiPk(state.orgId, assignee), gsi2sk: assigneeGsiSk(task.dueAt, taskId) }
        : {}),
    });
  }
  return { put };
}
