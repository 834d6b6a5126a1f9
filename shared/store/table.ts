/**
 * The single table, declared once. The CDK stack (infra/) and the local runtime (local/) both build
 * their table from this declaration, so the two cannot drift. Access patterns: shared/store/README.md.
 */
import * as z from 'zod';

const attributeName = z.string().regex(/^[a-zA-Z][a-zA-Z0-9_]{0,254}$/);
const keyAttribute = z.object({ name: attributeName, type: z.enum(['S', 'N', 'B']) });

export const tableDefinitionSchema = z
  .object({
    /** Logical id in CDK and the table name locally; on AWS the name carries the stage. */
    name: z.string().regex(/^[a-zA-Z0-9_.-]{3,255}$/),
    partitionKey: keyAttribute,
    sortKey: keyAttribute,
    globalSecondaryIndexes: z
      .array(
        z.object({
          name: z.string().regex(/^[a-zA-Z0-9_.-]{3,255}$/),
          partitionKey: keyAttribute,
          sortKey: keyAttribute,
          projection: z.literal('ALL'),
        }),
      )
      .max(20),
    stream: z.enum(['NEW_IMAGE', 'NEW_AND_OLD_IMAGES']),
    timeToLiveAttribute: attributeName,
    billing: z.literal('PAY_PER_REQUEST'),
  })
  .superRefine((table, ctx) => {
    const names = table.globalSecondaryIndexes.map((index) => index.name);
    if (new Set(names).size !== names.length) {
      ctx.addIssue({
        code: 'custom',
        path: ['globalSecondaryIndexes'],
        message: 'index names must be unique',
      });
    }
  });

export type TableDefinition = z.infer<typeof tableDefinitionSchema>;

export const pipelineTable: TableDefinition = tableDefinitionSchema.parse({
  name: 'samskapa',
  partitionKey: { name: 'pk', type: 'S' },
  sortKey: { name: 'sk', type: 'S' },
  globalSecondaryIndexes: [
    // The board: org -> processes by stage; org -> places; org -> needs/ideas across places.
    {
      name: 'byOrg',
      partitionKey: { name: 'gsi1pk', type: 'S' },
      sortKey: { name: 'gsi1sk', type: 'S' },
      projection: 'ALL',
    },
    // Assignee -> open tasks.
    {
      name: 'byAssignee',
      partitionKey: { name: 'gsi2pk', type: 'S' },
      sortKey: { name: 'gsi2sk', type: 'S' },
      projection: 'ALL',
    },
  ],
  stream: 'NEW_IMAGE',
  timeToLiveAttribute: 'expiresAt',
  billing: 'PAY_PER_REQUEST',
});
