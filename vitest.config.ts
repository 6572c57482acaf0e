import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    testTimeout: 30_000,
    hookTimeout: 30_000,
    // One child process per test file (isolate defaults to true), which is what makes the leak check
    // in test/support/leak-check.setup.ts a per-file check.
    pool: 'forks',
    // 2-core CI machines: two workers keep integration tests on loopback from starving each other.
    maxWorkers: 2,
    // After every file: no sockets, timers, child processes or file handles left (issue 8 item 6).
    setupFiles: ['test/support/leak-check.setup.ts'],
    // The leak check's afterAll must run after each file's own teardown (stack order, vitest's default).
    sequence: { hooks: 'stack' },
    reporters: ['default'],
  },
});
