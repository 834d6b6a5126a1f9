import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    testTimeout: 20_000,
    hookTimeout: 60_000,
    // One DynamoDB Local per run, shared by every test file (each uses its own table).
    globalSetup: ['test/setup/dynamodb-global.ts'],
  },
});
