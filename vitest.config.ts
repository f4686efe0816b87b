import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    testTimeout: 20_000,
    // Synthesis with esbuild bundling (three functions) takes longer than the 10 s default on a busy machine.
    hookTimeout: 60_000,
    pool: 'forks',
    coverage: {
      provider: 'v8',
      include: ['functions/**/*.ts', 'lib/**/*.ts'],
      exclude: ['functions/**/*.d.ts'],
      reporter: ['text-summary', 'json-summary'],
      reportsDirectory: 'coverage',
      // Set just under what the suite reaches, so a change that drops coverage fails `npm test`.
      thresholds: { lines: 82, branches: 74, functions: 79, statements: 80 },
    },
  },
});
