/**
 * The pipeline in memory: the process engine behind a queue that stands in for the bus, with the
 * reacting functions (stage engine, results compiler, guide builder, recording ingest) as plain
 * reactors. No AWS; what the foundation demo runs before the local runtime carries the same flow.
 */
import * as E from '../../events/catalog.ts';
import { isEvent, type PipelineEvent } from '../../events/catalog.ts';
import type { AnyEventDefinition } from '../../events/envelope.ts';
import { handle, type Input, type ProcessState } from '../../shared/domain/process.ts';
import { compileResults } from '../../shared/domain/results.ts';

export class InMemoryPipeline {
  readonly states = new Map<string, ProcessState>();
  readonly timelines = new Map<string, PipelineEvent[]>();
  readonly eventCounts = new Map<string, number>();
  #bus: PipelineEvent[] = [];

  /** Runs a command as the API would, then delivers everything it caused. */
  command(input: Extract<Input, { kind: 'command' }>): PipelineEvent[] {
    const processId =
      input.command.type === 'startProcess' ? input.command.processId : this.#processOf(input);
    const result = handle(this.states.get(processId), input);
    this.states.set(processId, result.state);
    this.#publish(result.events);
    this.#drain();
    return result.events;
  }

  /** A fact produced by another function (e.g. the recording ingest), delivered through the bus. */
  fact(definition: AnyEventDefinition, processId: string, data: unknown, producer: string): void {
    const state = this.#state(processId);
    this.#publish([
      this.#factFrom(state, definition, data, { id: producer, causationId: state.correlationId, depth: 1 }),
    ]);
    this.#drain();
  }

  state(processId: string): ProcessState {
    return this.#state(processId);
  }

  get totalEvents(): number {
    return [...this.eventCounts.values()].reduce((sum, n) => sum + n, 0);
  }

  #processOf(input: Extract<Input, { kind: 'command' }>): string {
    const processId = (input.command as { processId?: string }).processId;
    if (!processId) throw new Error(`${input.command.type} needs a processId`);
    return processId;
  }

  #state(processId: string): ProcessState {
    const state = this.states.get(processId);
    if (!state) throw new Error(`no process ${processId}`);
    return state;
  }

  #publish(events: PipelineEvent[]) {
    for (const event of events) {
      const timeline = this.timelines.get(event.metadata.processId) ?? [];
      timeline.push(event);
      this.timelines.set(event.metadata.processId, timeline);
      this.eventCounts.set(event.metadata.type, (this.eventCounts.get(event.metadata.type) ?? 0) + 1);
      this.#bus.push(event);
    }
  }

  #drain() {
    for (let event = this.#bus.shift(); event; event = this.#bus.shift()) {
      this.#stageEngine(event);
      this.#resultsCompiler(event);
      this.#guideBuilder(event);
    }
  }

  /** Facts from other functions move the process on. */
  #stageEngine(event: PipelineEvent) {
    if (
      !['Interview.Recorded', 'Results.Compiled', 'Guide.Generated', 'Task.Overdue'].includes(
        event.metadata.type,
      )
    )
      return;
    const result = handle(this.#state(event.metadata.processId), { kind: 'fact', event });
    this.states.set(event.metadata.processId, result.state);
    this.#publish(result.events);
  }

  #resultsCompiler(event: PipelineEvent) {
    if (!isEvent(event, 'Stage.Started') || event.data.stage !== 'results') return;
    const timeline = this.timelines.get(event.metadata.processId) ?? [];
    const summaries = timeline.filter((e) => isEvent(e, 'Interview.Summarised')).map((e) => e.data);
    const workshops = timeline.filter((e) => isEvent(e, 'Workshop.Closed')).map((e) => e.data);
    const results = compileResults(summaries as never, workshops as never);
    const state = this.#state(event.metadata.processId);
    const prefix = `reports/${state.orgId}/${state.placeId}/${state.processId}`;
    this.#publish([
      this.#factFrom(
        state,
        E.ResultsCompiled,
        {
          themes: results.themes,
          interviews: results.interviews,
          ideas: results.ideas,
          participation: results.participation,
          reportKeys: {
            markdown: `${prefix}/report.md`,
            html: `${prefix}/report.html`,
            json: `${prefix}/results.json`,
          },
        },
        { id: 'resultsCompiler', causationId: event.metadata.id, depth: event.metadata.depth + 1 },
      ),
    ]);
  }

  #guideBuilder(event: PipelineEvent) {
    if (!isEvent(event, 'Stage.Started') || event.data.stage !== 'guides') return;
    const state = this.#state(event.metadata.processId);
    const prefix = `guides/${state.orgId}/${state.placeId}/${state.processId}`;
    this.#publish([
      this.#factFrom(
        state,
        E.GuideGenerated,
        {
          guideId: `guide-${state.placeId}`,
          locale: state.locale,
          keys: { markdown: `${prefix}/guide.md`, html: `${prefix}/guide.html` },
        },
        { id: 'guideBuilder', causationId: event.metadata.id, depth: event.metadata.depth + 1 },
      ),
    ]);
  }

  #factFrom(
    state: ProcessState,
    definition: AnyEventDefinition,
    data: unknown,
    cause: { id: string; causationId: string; depth: number },
  ): PipelineEvent {
    return definition.create({
      metadata: {
        orgId: state.orgId,
        placeId: state.placeId,
        processId: state.processId,
        correlationId: state.correlationId,
        causationId: cause.causationId,
        actor: { kind: 'system', id: cause.id },
        depth: cause.depth,
      },
      data,
    }) as PipelineEvent;
  }
}
