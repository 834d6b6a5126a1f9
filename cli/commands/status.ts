/**
 * `samskapa status`: the board in the terminal. Processes per method and stage (from GET /processes,
 * every page), how many completed, the places not started, and the processes with the most recent
 * activity. Only what the board carries: place names, stages, ids and times, no personal data.
 */
import { methods } from '../../shared/methods/index.ts';
import { apiFor } from '../core/api.ts';
import { type Command, type Parsed, targetHelp, targetOptions, wholeNumber } from '../core/command.ts';
import { printable } from '../core/printable.ts';
import { describeTarget, resolveTarget } from '../core/target.ts';

interface BoardItem {
  processId: string;
  placeId: string;
  placeName: string;
  municipality: string;
  method: string;
  status: 'active' | 'completed';
  stage: { key: string | null; index: number; name: { en?: string; sv?: string } | null };
  stageStartedAt?: string;
  lastEventAt?: string;
  updatedAt?: string;
}

interface PlaceItem {
  placeId: string;
  name: string;
  municipality: string;
}

export const statusCommand: Command = {
  name: 'status',
  summary: 'The board: processes per method and stage, completed, most recent activity',
  usage: 'samskapa status [--recent N] [--data DIR | --stack NAME ...]',
  options: { ...targetOptions, recent: { type: 'string' } },
  help: `  --recent N       how many processes with the most recent activity to list (default 10)

${targetHelp}

Example:
  samskapa status
  samskapa status --stack samskapa-prod --token "$ID_TOKEN" --recent 20`,
  run: runStatus,
};

async function runStatus(args: Parsed): Promise<number> {
  const recent = wholeNumber(args, 'recent', 10, 0, 1000);
  const target = await resolveTarget(args);
  const api = await apiFor(target, args, 'ops');
  const [places, board] = await Promise.all([
    api.get<{ items: PlaceItem[] }>('/places').then((page) => page.items),
    allProcesses(api),
  ]);
  const now = Date.now();
  const out: string[] = [];
  out.push(
    `samskapa status: ${describeTarget(target)}${target.kind === 'local' ? `, organisation ${target.org}` : ''}`,
    '',
  );

  const started = new Set(board.map((item) => item.placeId));
  const notStarted = places.filter((place) => !started.has(place.placeId));
  out.push(`Places: ${places.length}, with a process: ${started.size}, not started: ${notStarted.length}`);
  if (notStarted.length > 0) {
    const shown = notStarted
      .slice(0, 12)
      .map((place) => `${printable(place.name)} (${printable(place.municipality)})`);
    out.push(
      `  Not started: ${shown.join(', ')}${notStarted.length > shown.length ? `, and ${notStarted.length - shown.length} more` : ''}`,
    );
  }

  const byMethod = new Map<string, BoardItem[]>();
  for (const item of board) byMethod.set(item.method, [...(byMethod.get(item.method) ?? []), item]);
  for (const [key, items] of [...byMethod].sort(([a], [b]) => a.localeCompare(b))) {
    const method = methods.get(key);
    const completed = items.filter((item) => item.status === 'completed').length;
    out.push(
      '',
      `${method?.name.en ?? key} (${key}): ${items.length} ${items.length === 1 ? 'process' : 'processes'}, ${completed} completed`,
    );
    const stages =
      method?.stages.map((stage, index) => ({ index, label: stage.name.en })) ??
      [...new Set(items.map((item) => item.stage.index))]
        .sort((a, b) => a - b)
        .map((index) => ({
          index,
          label: items.find((item) => item.stage.index === index)?.stage.key ?? `stage ${index + 1}`,
        }));
    const width = Math.max(9, ...stages.map((s) => s.label.length + 3));
    out.push(`  ${'Stage'.padEnd(width)}  active`);
    for (const stage of stages) {
      const active = items.filter((item) => item.status === 'active' && item.stage.index === stage.index);
      out.push(
        `  ${`${stage.index + 1} ${stage.label}`.padEnd(width)}  ${String(active.length).padStart(6)}`,
      );
    }
    out.push(`  ${'Completed'.padEnd(width)}  ${String(completed).padStart(6)}`);
  }
  if (board.length === 0) out.push('', 'No processes yet: start one through the API or run `samskapa demo`.');

  if (recent > 0 && board.length > 0) {
    const latest = [...board]
      .sort((a, b) => activity(b).localeCompare(activity(a)))
      .slice(0, recent)
      .map((item) => [
        ago(now, activity(item)),
        `${printable(item.placeName)} (${printable(item.municipality)})`,
        item.status === 'completed'
          ? 'completed'
          : `${item.stage.index + 1} ${item.stage.name?.en ?? item.stage.key ?? ''}`,
        item.processId,
      ]);
    out.push('', 'Most recent activity');
    out.push(...table([['When', 'Place', 'Stage', 'Process'], ...latest]).map((row) => `  ${row}`));
  }
  console.log(out.join('\n'));
  return 0;
}

async function allProcesses(api: Awaited<ReturnType<typeof apiFor>>): Promise<BoardItem[]> {
  const items: BoardItem[] = [];
  let cursor: string | undefined;
  do {
    const page = await api.get<{ items: BoardItem[]; cursor?: string }>(
      `/processes?limit=100${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''}`,
    );
    items.push(...page.items);
    cursor = page.cursor;
  } while (cursor);
  return items;
}

const activity = (item: BoardItem) => item.lastEventAt ?? item.updatedAt ?? item.stageStartedAt ?? '';

/** "12 s ago", "5 min ago", "3 h ago", "2 d ago". */
export function ago(now: number, iso: string): string {
  const at = Date.parse(iso);
  if (Number.isNaN(at)) return '-';
  const seconds = Math.max(0, Math.round((now - at) / 1000));
  if (seconds < 90) return `${seconds} s ago`;
  if (seconds < 90 * 60) return `${Math.round(seconds / 60)} min ago`;
  if (seconds < 36 * 3600) return `${Math.round(seconds / 3600)} h ago`;
  return `${Math.round(seconds / 86400)} d ago`;
}

function table(rows: string[][]): string[] {
  const widths = rows[0]?.map((_, i) => Math.max(...rows.map((row) => (row[i] ?? '').length))) ?? [];
  return rows.map((row) =>
    row
      .map((cell, i) => (i === row.length - 1 ? cell : cell.padEnd(widths[i] ?? 0)))
      .join('  ')
      .trimEnd(),
  );
}
