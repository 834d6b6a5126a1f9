/**
 * The stage engine: applies facts reported by other functions (a recording landed, results were
 * compiled, a guide was generated, a task fell overdue) to the process, and moves it through as many
 * stages as their exit criteria allow. One transaction: the new state, the inbox item of the fact
 * (a redelivery changes nothing) and the emitted events in the outbox.
 */
import { handle } from '../shared/domain/process.ts';
import { processes } from '../shared/runtime/clients.ts';
import { pipelineEventHandler } from '../shared/runtime/event-handler.ts';
import { changeProcess } from '../shared/store/process-store.ts';

export const handler = pipelineEventHandler({
  name: 'stageEngine',
  accepts: ['Interview.Recorded', 'Results.Compiled', 'Guide.Generated', 'Task.Overdue'],
  handle: async (fact, { logger }) => {
    const { orgId, processId } = fact.metadata;
    const result = await changeProcess(
      processes(),
      { orgId, processId },
      (current) => {
        const next = handle(current?.state, { kind: 'fact', event: fact });
        return { state: next.state, emitted: next.events };
      },
      { handled: fact },
    );
    logger.info('fact applied', {
      outcome: result.outcome,
      emitted: result.emitted.map((e) => e.metadata.type),
    });
  },
});
