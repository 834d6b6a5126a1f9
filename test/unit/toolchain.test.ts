import { describe, expect, it } from 'vitest';

describe('toolchain', () => {
  it('runs on Node 24, the major of the Lambda runtime', () => {
    expect(process.versions.node.split('.')[0]).toBe('24');
  });
});
