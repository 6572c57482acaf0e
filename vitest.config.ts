import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    testTimeout: 30_000,
    hookTimeout: 30_000,
    pool: 'forks',
    // 2-core CI machines: two workers keep integration tests on loopback from starving each other.
    maxWorkers: 2,
    reporters: ['default'],
  },
});
