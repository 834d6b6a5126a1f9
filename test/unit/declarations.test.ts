/** The two declarations every later part reads: the topology and the table definition. */

import { existsSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { ZodError } from 'zod';
import { defineTopology, type FunctionDeclarationInput, topology } from '../../functions/topology.ts';
import { compilePattern } from '../../local/eventbridge/pattern.ts';
import { pipelineTable, tableDefinitionSchema } from '../../shared/store/table.ts';

/** Declarations under test are deliberately loose: the schema is what judges them. */
const define = (functions: unknown[]) => defineTopology(functions as FunctionDeclarationInput[]);
const fn = (name: string, triggers: unknown[]) => ({
  name,
  description: 'A function declared for a test',
  entry: 'functions/stage-engine.ts',
  triggers,
});
const rule = (name: string) => ({
  kind: 'event',
  rule: name,
  bus: 'samskapa',
  pattern: { 'detail-type': ['Workshop.Closed'] },
});

describe('topology', () => {
  it('is valid, with entries that exist and patterns EventBridge accepts', () => {
    expect(() => defineTopology(topology)).not.toThrow();
    for (const declaration of topology) {
      expect(existsSync(new URL(`../../${declaration.entry}`, import.meta.url)), declaration.entry).toBe(
        true,
      );
      for (const trigger of declaration.triggers) {
        if (trigger.kind === 'event') expect(() => compilePattern(trigger.pattern)).not.toThrow();
      }
    }
  });

  it('fills in AWS-shaped defaults for retries and failure handling', () => {
    const [declared] = define([fn('stageEngine', [rule('stage-engine')])]);
    expect(declared?.asyncInvocation).toEqual({ maximumRetryAttempts: 2, maximumEventAgeSeconds: 21_600 });
    expect(declared?.triggers[0]).toMatchObject({
      delivery: { maximumRetryAttempts: 8, maximumEventAgeSeconds: 3600 },
    });
    expect(declared?.permissions).toMatchObject({ table: 'none', sendEmail: false });
  });

  it('names the path of every problem', () => {
    try {
      define([
        fn('stageEngine', [rule('same')]),
        fn('notifier', [rule('same'), { kind: 'http', method: 'GET', path: 'no-slash' }]),
        {
          ...fn('BadName', [rule('x')]),
          asyncInvocation: { maximumRetryAttempts: 5, maximumEventAgeSeconds: 60 },
        },
      ]);
      expect.unreachable('an invalid topology was accepted');
    } catch (error) {
      expect(error).toBeInstanceOf(ZodError);
      const paths = (error as ZodError).issues.map((i) => i.path.join('.'));
      expect(paths).toEqual(
        expect.arrayContaining(['1.triggers.1.path', '2.name', '2.asyncInvocation.maximumRetryAttempts']),
      );
    }
  });

  it('rejects two functions claiming one rule or route', () => {
    expect(() => define([fn('stageEngine', [rule('same')]), fn('notifier', [rule('same')])])).toThrow(
      /rule same is declared by both stageEngine and notifier/,
    );
    const route = { kind: 'http', method: 'GET', path: '/places' };
    expect(() => define([fn('apiOne', [route]), fn('apiTwo', [route])])).toThrow(/route GET \/places/);
  });
});

describe('table definition', () => {
  it('declares keys, the board and assignee indexes, a stream and a TTL attribute', () => {
    expect(pipelineTable.partitionKey).toEqual({ name: 'pk', type: 'S' });
    expect(pipelineTable.sortKey).toEqual({ name: 'sk', type: 'S' });
    expect(pipelineTable.globalSecondaryIndexes.map((i) => i.name)).toEqual(['byOrg', 'byAssignee']);
    expect(pipelineTable.stream).toBe('NEW_IMAGE');
    expect(pipelineTable.timeToLiveAttribute).toBe('expiresAt');
  });

  it('rejects duplicate index names', () => {
    const index = pipelineTable.globalSecondaryIndexes[0];
    expect(() =>
      tableDefinitionSchema.parse({ ...pipelineTable, globalSecondaryIndexes: [index, index] }),
    ).toThrow(/unique/);
  });
});
