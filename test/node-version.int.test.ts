import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ALL_SERVICES, eventually, startStack, type Stack } from './support/stack.js';

/** The engines' lower bound: the AWS SDK's releases from January 2027 need Node 22. */
const MIN_NODE_MAJOR = 22;

const majorOf = (version: string) => Number(version.split('.')[0]);

/** The Node.js version a service logged at start (its `process running` line), if it has logged it yet. */
function loggedNodeVersion(output: string): string | undefined {
  for (const line of output.split('\n')) {
    if (!line.startsWith('{')) continue;
    try {
      const entry = JSON.parse(line) as { msg?: unknown; node?: unknown };
      if (entry.msg === 'process running' && typeof entry.node === 'string') return entry.node;
    } catch {
      // a partly written line; the next read has it whole
    }
  }
  return undefined;
}

describe('the Node.js that Rolecall runs on', () => {
  let stack: Stack;

  beforeAll(async () => {
    stack = await startStack();
  });

  afterAll(async () => {
    await stack?.stop();
  });

  it('is 22 or newer in the test runner, whose Node the service processes are started with', () => {
    expect(majorOf(process.versions.node)).toBeGreaterThanOrEqual(MIN_NODE_MAJOR);
  });

  it('is 22 or newer in every service process the tests start, as each reports in its start log', async () => {
    expect(stack.services.map((s) => s.name)).toEqual([...ALL_SERVICES]);
    const reported: Record<string, string> = {};
    for (const service of stack.services) {
      reported[service.name] = await eventually(
        () => loggedNodeVersion(service.output()),
        () => `${service.name} logged no Node.js version; its output:\n${service.output()}`,
        30_000,
      );
    }
    for (const [name, version] of Object.entries(reported)) {
      expect(majorOf(version), `${name} runs on Node ${version}`).toBeGreaterThanOrEqual(MIN_NODE_MAJOR);
    }
  });
});
