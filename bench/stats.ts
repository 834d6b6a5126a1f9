/** Small helpers for the benchmarks: percentiles, medians and the machine the figures came from. */
import { execFileSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { cpus, totalmem } from 'node:os';
import { join } from 'node:path';

export function percentile(values: readonly number[], p: number): number {
  if (values.length === 0) return Number.NaN;
  const sorted = [...values].sort((a, b) => a - b);
  const index = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1));
  return sorted[index] as number;
}

export const median = (values: readonly number[]) => percentile(values, 50);
export const round = (value: number, digits = 1) => Number(value.toFixed(digits));

export function machine() {
  const revision = (() => {
    try {
      return execFileSync('git', ['rev-parse', '--short', 'HEAD'], { encoding: 'utf8' }).trim();
    } catch {
      return 'unknown';
    }
  })();
  return {
    date: new Date().toISOString(),
    revision,
    cpu: cpus()[0]?.model ?? 'unknown',
    cores: cpus().length,
    memoryGiB: round(totalmem() / 2 ** 30, 0),
    node: process.versions.node,
  };
}

const root = new URL('../', import.meta.url).pathname;

/**
 * Records a run: bench/results/<name>-<date>-<revision>.json and .md, and the table in the README
 * between `<!-- bench:<name>:start -->` and `<!-- bench:<name>:end -->`. Returns the stamp.
 */
export function recordResults(
  name: string,
  results: { machine: ReturnType<typeof machine> },
  table: string,
): string {
  const stamp = `${results.machine.date.slice(0, 10)}-${results.machine.revision}`;
  writeFileSync(
    join(root, 'bench/results', `${name}-${stamp}.json`),
    `${JSON.stringify(results, null, 2)}\n`,
  );
  writeFileSync(join(root, 'bench/results', `${name}-${stamp}.md`), `${table}\n`);
  const readmePath = join(root, 'README.md');
  const readme = readFileSync(readmePath, 'utf8');
  const start = `<!-- bench:${name}:start -->`;
  const end = `<!-- bench:${name}:end -->`;
  if (readme.includes(start))
    writeFileSync(
      readmePath,
      readme.replace(new RegExp(`${start}[\\s\\S]*?${end}`), `${start}\n${table}\n${end}`),
    );
  return stamp;
}
