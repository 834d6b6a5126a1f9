/**
 * Page cursors: DynamoDB's LastEvaluatedKey, opaque to the client. A cursor is only accepted for the
 * index partition it came from, so nobody can page into another organisation's items with one.
 */
import { problems } from '../../shared/runtime/http-problem.ts';

export function encodeCursor(key: Record<string, unknown> | undefined): string | undefined {
  return key ? Buffer.from(JSON.stringify(key)).toString('base64url') : undefined;
}

export function decodeCursor(
  cursor: string | undefined,
  partition: { attribute: string; value: string },
): Record<string, string> | undefined {
  if (cursor === undefined) return undefined;
  const invalid = () => problems.validation([{ path: 'query.cursor', message: 'not a cursor of this list' }]);
  let key: unknown;
  try {
    key = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8'));
  } catch {
    throw invalid();
  }
  if (
    typeof key !== 'object' ||
    key === null ||
    Array.isArray(key) ||
    !Object.values(key).every((v) => typeof v === 'string') ||
    (key as Record<string, string>)[partition.attribute] !== partition.value
  ) {
    throw invalid();
  }
  return key as Record<string, string>;
}
