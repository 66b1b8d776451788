#!/usr/bin/env node
// Rewrites the configuration table in README.md from the config schema (run after `npm run build`).
import { readFile, writeFile } from 'node:fs/promises';
import { renderConfigTable } from '@rolecall/shared/config';

const README = new URL('../README.md', import.meta.url);
const text = await readFile(README, 'utf8');
const updated = text.replace(
  /(<!-- config:start[^\n]*-->\n)[\s\S]*?(<!-- config:end -->)/,
  (_, start, end) => `${start}${renderConfigTable()}\n${end}`,
);
await writeFile(README, updated);
console.log(updated === text ? 'README config table already up to date' : 'README config table updated');
