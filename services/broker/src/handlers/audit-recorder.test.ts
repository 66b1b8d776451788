import { PassThrough } from 'node:stream';
import type { CredentialAuditEvent } from '@rolecall/shared/contracts';
import { createLogger } from '@rolecall/shared/log';
import { describe, expect, it } from 'vitest';
import { createFakeIssuer, createInMemoryMapping, DEFAULT_SETTINGS, role } from '../../test/fakes.js';
import { createAuditRecorder } from './audit-recorder.js';
import { createIssueCredentialsHandler } from './issue-credentials.js';

const A = '222222222222';
const context = { sourceIp: '10.1.2.3', userAgent: 'weep', requestId: 'req-1' };
const alice = { user: 'alice@example.com', groups: ['engineering'] };

function capturedLogger() {
  const stream = new PassThrough();
  const lines: Record<string, unknown>[] = [];
  stream.on('data', (chunk: Buffer) => {
    for (const line of chunk.toString().split('\n').filter(Boolean))
      lines.push(JSON.parse(line) as Record<string, unknown>);
  });
  return { log: createLogger({ service: 'broker', destination: stream }), lines };
}

function issuerWith(sink: { record(event: CredentialAuditEvent): Promise<void> }) {
  const { log, lines } = capturedLogger();
  const recorder = createAuditRecorder({ sink, log, lowercaseIdentities: true });
  const issue = createIssueCredentialsHandler({
    mapping: createInMemoryMapping(
      [role(A, 'support', { 'consoleme-authorized': 'engineering' })],
      {},
      DEFAULT_SETTINGS,
    ),
    issuer: createFakeIssuer(),
    recordAudit: recorder.record,
    settings: { sessionDurationSeconds: 3600, ipRestrictions: [], lowercaseIdentities: true },
    log,
  });
  return { issue, recorder, lines };
}

describe('audit recorder', () => {
  it('hands the event to the sink before the reply, without waiting for the acknowledgement', async () => {
    const handed: CredentialAuditEvent[] = [];
    let acknowledge: () => void = () => undefined;
    const acknowledged = new Promise<void>((resolve) => (acknowledge = resolve));
    const { issue, recorder } = issuerWith({
      record(event) {
        handed.push(event);
        return acknowledged;
      },
    });

    const reply = await issue({ caller: alice, requestedRole: 'support', channel: 'cli', context });

    expect(reply.outcome).toBe('issued');
    expect(handed).toHaveLength(1);
    expect(handed[0]).toMatchObject({ outcome: 'issued', user: 'alice@example.com', requestId: 'req-1' });
    let settled = false;
    void recorder.settled().then(() => (settled = true));
    await new Promise((r) => setTimeout(r, 10));
    expect(settled).toBe(false);
    acknowledge();
    await recorder.settled();
    expect(settled).toBe(true);
  });

  it('logs an event the sink lost with its id, user and role, and still answers', async () => {
    const { issue, recorder, lines } = issuerWith({
      record: () => Promise.reject(new Error('no stream answered')),
    });

    const reply = await issue({ caller: alice, requestedRole: 'support', channel: 'cli', context });
    await recorder.settled();

    expect(reply.outcome).toBe('issued');
    const lost = lines.find((l) => l.msg === 'credential audit event could not be recorded');
    expect(lost).toMatchObject({ user: 'alice@example.com', roleArn: `arn:aws:iam::${A}:role/support` });
    expect(typeof lost?.auditId).toBe('string');
    expect(JSON.stringify(lines)).not.toContain('do-not-log');
  });

  it('treats a sink that throws instead of rejecting the same way', async () => {
    const { issue, recorder, lines } = issuerWith({
      record: () => {
        throw new Error('connection closed');
      },
    });
    const reply = await issue({ caller: alice, requestedRole: 'support', channel: 'cli', context });
    await recorder.settled();
    expect(reply.outcome).toBe('issued');
    expect(lines.some((l) => l.msg === 'credential audit event could not be recorded')).toBe(true);
  });
});
