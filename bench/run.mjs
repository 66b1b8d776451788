#!/usr/bin/env node
// Runs the benchmarks named on the command line (default: all). Each prints its own figures and the
// ratio against a baseline measured in the same run. Benchmarks are measurements, never pass/fail tests.
import { spawnSync } from 'node:child_process';
import { readdirSync } from 'node:fs';

const available = readdirSync(new URL('.', import.meta.url))
  .filter((f) => f.endsWith('.ts'))
  .map((f) => f.replace(/\.ts$/, ''));
const chosen = process.argv.slice(2).length ? process.argv.slice(2) : available;
for (const name of chosen) {
  if (!available.includes(name)) {
    console.error(`unknown benchmark ${name}; available: ${available.join(', ')}`);
    process.exit(2);
  }
  console.log(`\n=== bench/${name} ===`);
  const result = spawnSync('npx', ['tsx', `bench/${name}.ts`], { stdio: 'inherit' });
  if (result.status !== 0) process.exit(result.status ?? 1);
}
