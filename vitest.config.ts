import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    testTimeout: 20_000,
    // Synthesizing the stack bundles every function with esbuild: tens of seconds on a busy machine.
    hookTimeout: 120_000,
    pool: 'forks',
    coverage: {
      provider: 'v8',
      include: ['functions/**/*.ts', 'lib/**/*.ts'],
      exclude: ['functions/**/*.d.ts'],
      reporter: ['text-summary', 'json-summary'],
      reportsDirectory: 'coverage',
      // Set just under what the suite reaches, so a change that drops coverage fails `npm test`.
      thresholds: { lines: 86, branches: 74, functions: 83, statements: 83 },
    },
  },
});
