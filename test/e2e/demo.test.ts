import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';

const run = promisify(execFile);
const root = new URL('../../', import.meta.url);

describe('npm run demo (in memory)', () => {
  it('drives places through every stage and prints the counts', async () => {
    const { stdout } = await run(process.execPath, ['cli/demo.ts', '--places', '12'], { cwd: root });
    expect(stdout).toContain('Processes completed: 12/12');
    expect(stdout).toMatch(/Guider\s+12\s+12/);
    expect(stdout).toMatch(/Results\.Compiled\s+12/);
  });

  it('refuses a bad --places with a clear message', async () => {
    await expect(
      run(process.execPath, ['cli/demo.ts', '--places', 'many'], { cwd: root }),
    ).rejects.toMatchObject({
      code: 2,
      stderr: expect.stringContaining('--places must be a whole number'),
    });
  });
});
