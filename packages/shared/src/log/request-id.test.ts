import { Writable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { runWithRequestId } from '../tracing/request-context.js';
import { createLogger } from './index.js';

/** A logger whose raw lines are kept, to see duplicate keys that JSON.parse would hide. */
function rawLogger() {
  const lines: string[] = [];
  const destination = new Writable({
    write(chunk: Buffer, _encoding, done) {
      lines.push(...chunk.toString().split('\n').filter(Boolean));
      done();
    },
  });
  return { log: createLogger({ service: 'test', destination }), lines };
}

describe('the request id in log lines', () => {
  it('is on every line logged while a request is handled, by the logger and its children, and on no other', async () => {
    const { log, lines } = rawLogger();
    log.info('before');
    await runWithRequestId('req-1', async () => {
      log.info('inside');
      await new Promise((resolve) => setTimeout(resolve, 1));
      log.child({ component: 'adapter' }).warn({ user: 'alice' }, 'after an await, from a child');
    });
    log.info('after');
    const parsed = lines.map((line) => JSON.parse(line) as Record<string, unknown>);
    expect(parsed.map((line) => [line.msg, line.requestId])).toEqual([
      ['before', undefined],
      ['inside', 'req-1'],
      ['after an await, from a child', 'req-1'],
      ['after', undefined],
    ]);
  });

  it('is written once where the logger is already bound to it (Fastify’s request logger)', () => {
    const { log, lines } = rawLogger();
    runWithRequestId('req-2', () => log.child({ requestId: 'req-2' }).info('bound'));
    expect(lines[0]!.match(/"requestId"/g)).toHaveLength(1);
  });
});
