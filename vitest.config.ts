import { defineConfig } from 'vitest/config';

// Workspace packages export their TypeScript sources under this condition (see packages/*/package.json), so
// tests run against the sources without a build. Node and tsc do not know the condition and use dist.
const sourceConditions = ['@rolecall/source'];

export default defineConfig({
  resolve: { conditions: sourceConditions },
  ssr: { resolve: { conditions: sourceConditions } },
  test: {
    projects: [
      {
        extends: true,
        test: {
          name: 'unit',
          include: ['{packages,services}/*/src/**/*.test.ts', 'scripts/**/*.test.ts'],
          environment: 'node',
        },
      },
      {
        extends: true,
        test: {
          name: 'integration',
          // Run after the unit project; a project with its own worker count needs its own group.
          sequence: { groupOrder: 1 },
          include: ['{packages,services}/*/test/**/*.int.test.ts', 'test/**/*.int.test.ts'],
          environment: 'node',
          // Each file starts its own NATS, Redis and moto; two at a time fits a 2-core machine.
          maxWorkers: 2,
          testTimeout: 120_000,
          hookTimeout: 120_000,
        },
      },
    ],
  },
});
