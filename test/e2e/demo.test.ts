import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';

const run = promisify(execFile);
const root = new URL('../../', import.meta.url);

describe('npm run demo', () => {
  it('in memory: drives places through every stage and prints the counts', async () => {
    const { stdout } = await run(process.execPath, ['cli/demo.ts', '--in-memory', '--places', '12'], {
      cwd: root,
    });
    expect(stdout).toContain('Processes completed: 12/12');
    expect(stdout).toMatch(/Guider\s+12\s+12/);
    expect(stdout).toMatch(/Results\.Compiled\s+12/);
  });

  it('on the local runtime: starts one when none runs, and a second run adds new places', async () => {
    const data = mkdtempSync(join(tmpdir(), 'samskapa-demo-'));
    try {
      const first = await run(process.execPath, ['cli/demo.ts', '--places', '2', '--data', data], {
        cwd: root,
        timeout: 240_000,
      });
      expect(first.stdout).toContain('starting one for this run');
      expect(first.stdout).toContain('Processes completed: 2/2');
      expect(first.stdout).toMatch(/Guider\s+2\s+2/);
      expect(first.stdout).toMatch(/Emails sent: [1-9]\d*/);
      expect(first.stdout).toMatch(/Files in S3 for org-demo: (\d+)/);
      const second = await run(process.execPath, ['cli/demo.ts', '--places', '1', '--data', data], {
        cwd: root,
        timeout: 240_000,
      });
      expect(second.stdout).toContain('Processes completed: 1/1');
      // The new place comes after the earlier ones: Hede and Funäsdalen ran first, Vemdalen now.
      expect(second.stdout).toContain('Vemdalen');
    } finally {
      rmSync(data, { recursive: true, force: true });
    }
  }, 300_000);

  it('refuses a bad --places with a clear message', async () => {
    await expect(
      run(process.execPath, ['cli/demo.ts', '--places', 'many'], { cwd: root }),
    ).rejects.toMatchObject({
      code: 2,
      stderr: expect.stringContaining('--places must be a whole number'),
    });
  });
});
