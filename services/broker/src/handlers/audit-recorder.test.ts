import type { CredentialAuditEvent } from '@rolecall/shared/contracts';
import { capturedLogger } from '@rolecall/shared/log';
import { describe, expect, it } from 'vitest';
import {
  createFakeIssuer,
  createInMemoryIssuanceReader,
  createInMemoryMapping,
  DEFAULT_SETTINGS,
  fakeSignin,
  role,
  ISSUE_SETTINGS,
  LOGIN_SETTINGS,
} from '../../test/fakes.js';
import type { AuditSink } from '../domain/ports.js';
import { createAuditRecorder } from './audit-recorder.js';
import { createConsoleLoginHandler } from './console-login.js';
import { createIssueCredentialsHandler } from './issue-credentials.js';

const A = '222222222222';
const context = { sourceIp: '10.1.2.3', userAgent: 'weep', requestId: 'req-1' };
const alice = { user: 'alice@example.com', groups: ['engineering'] };
const request = { caller: alice, requestedRole: 'support', channel: 'cli' as const, context };

/** A sink that takes records only while `up` is true; `calls` counts attempts, `kept` what it took. */
function switchableSink(name: string, up = true) {
  const sink = {
    name,
    up,
    calls: 0,
    kept: [] as CredentialAuditEvent[],
    record(event: CredentialAuditEvent) {
      sink.calls += 1;
      if (!sink.up) return Promise.reject(new Error(`${name} is down`));
      sink.kept.push(event);
      return Promise.resolve();
    },
  };
  return sink;
}

function setup(sinks: AuditSink[]) {
  const { log, lines } = capturedLogger();
  const audit = createAuditRecorder({
    sinks,
    log,
    lowercaseIdentities: true,
    retryDelayMs: 5,
    maxRetryDelayMs: 20,
  });
  const issuer = createFakeIssuer();
  const mapping = createInMemoryMapping(
    [role(A, 'support', { 'consoleme-authorized': 'engineering' })],
    {},
    DEFAULT_SETTINGS,
  );
  const issue = createIssueCredentialsHandler({
    mapping,
    reads: createInMemoryIssuanceReader(mapping),
    issuer,
    audit,
    settings: ISSUE_SETTINGS,
    log,
  });
  const login = createConsoleLoginHandler({
    mapping,
    issuer,
    signin: fakeSignin(),
    audit,
    settings: LOGIN_SETTINGS,
    log,
  });
  return { issue, login, audit, issuer, lines };
}

const until = async (condition: () => boolean) => {
  for (let i = 0; i < 200 && !condition(); i++) await new Promise((r) => setTimeout(r, 5));
  expect(condition()).toBe(true);
};

describe('audit recorder', () => {
  it('makes the intent durable before STS is called, and completes it before the reply', async () => {
    const order: string[] = [];
    const sink: AuditSink = {
      name: 'ordered',
      record: (event) => {
        order.push(`audit:${event.outcome}`);
        return Promise.resolve();
      },
    };
    const { issue, issuer } = setup([sink]);
    const assume = issuer.assumeRole.bind(issuer);
    issuer.assumeRole = (input) => {
      order.push('sts');
      return assume(input);
    };

    const reply = await issue(request);

    expect(reply.outcome).toBe('issued');
    expect(order).toEqual(['audit:pending', 'sts', 'audit:issued']);
  });

  it('refuses with AUDIT_UNAVAILABLE and never calls STS when no sink can keep the intent', async () => {
    const jetstream = switchableSink('jetstream', false);
    const dynamodb = switchableSink('dynamodb', false);
    const { issue, login, issuer, lines } = setup([jetstream, dynamodb]);

    await expect(issue(request)).rejects.toMatchObject({ code: 'AUDIT_UNAVAILABLE', status: 503 });
    await expect(login({ caller: alice, roleQuery: 'support', context })).rejects.toMatchObject({
      code: 'AUDIT_UNAVAILABLE',
    });

    expect(issuer.calls).toHaveLength(0);
    expect(jetstream.calls).toBe(2);
    expect(dynamodb.calls).toBe(2);
    expect(
      lines.filter((l) => l.msg === 'credential request refused: its audit record could not be kept'),
    ).toHaveLength(2);
  });

  it('falls back to the next sink when the first cannot take a record, intent and completion alike', async () => {
    const jetstream = switchableSink('jetstream', false);
    const dynamodb = switchableSink('dynamodb');
    const { issue } = setup([jetstream, dynamodb]);

    const reply = await issue(request);

    expect(reply.outcome).toBe('issued');
    if (reply.outcome !== 'issued') return;
    expect(dynamodb.kept.map((e) => e.outcome)).toEqual(['pending', 'issued']);
    expect(dynamodb.kept[1]).toMatchObject({
      accessKeyId: reply.credentials.accessKeyId,
      requestId: 'req-1',
    });
  });

  it('answers with the credentials when the completion cannot be kept, logs the gap with the key id, and retries it', async () => {
    const jetstream = switchableSink('jetstream');
    // The intent is taken; then the sink goes down before the completion.
    const record = jetstream.record.bind(jetstream);
    jetstream.record = (event) => {
      const result = record(event);
      if (event.outcome === 'pending') jetstream.up = false;
      return result;
    };
    const { issue, audit, lines } = setup([jetstream]);

    const reply = await issue(request);
    expect(reply.outcome).toBe('issued');
    if (reply.outcome !== 'issued') return;
    const gap = lines.find(
      (l) => l.msg === 'credential audit record not yet durable; retrying in the background',
    );
    expect(gap).toMatchObject({
      accessKeyId: reply.credentials.accessKeyId,
      auditId: jetstream.kept[0]?.id,
      outcome: 'issued',
      user: 'alice@example.com',
    });

    const attempts = jetstream.calls;
    await until(() => jetstream.calls >= attempts + 2);
    jetstream.up = true;
    await audit.settled(1000);
    expect(jetstream.kept.map((e) => e.outcome)).toEqual(['pending', 'issued']);
    expect(jetstream.kept[1]).toMatchObject({
      id: jetstream.kept[0]?.id,
      accessKeyId: reply.credentials.accessKeyId,
    });
    expect(lines.some((l) => l.msg === 'audit record written after retrying')).toBe(true);
  });

  it('retries a refusal it could not record, and logs what is still missing at shutdown', async () => {
    const jetstream = switchableSink('jetstream', false);
    const { issue, audit, lines } = setup([jetstream]);

    const reply = await issue({ ...request, requestedRole: 'no-such-role' });

    expect(reply).toMatchObject({ outcome: 'refused', reason: 'no_matching_role' });
    await until(() => jetstream.calls >= 3);
    await audit.settled(20);
    const lost = lines.find(
      (l) => l.msg === 'credential audit record lost at shutdown; its intent record stands',
    );
    expect(lost).toMatchObject({ outcome: 'refused', user: 'alice@example.com', requestId: 'req-1' });
    const calls = jetstream.calls;
    await new Promise((r) => setTimeout(r, 50));
    expect(jetstream.calls).toBe(calls);
  });

  it('completes a console sign-in whose federation call failed as failed, with the key of the credentials made', async () => {
    const jetstream = switchableSink('jetstream');
    const { log } = capturedLogger();
    const audit = createAuditRecorder({ sinks: [jetstream], log, lowercaseIdentities: true });
    const issuer = createFakeIssuer();
    const login = createConsoleLoginHandler({
      mapping: createInMemoryMapping(
        [role(A, 'support', { 'consoleme-authorized': 'engineering' })],
        {},
        DEFAULT_SETTINGS,
      ),
      issuer,
      signin: { getSigninToken: () => Promise.reject(new Error('federation endpoint unreachable')) },
      audit,
      settings: LOGIN_SETTINGS,
      log,
    });

    await expect(login({ caller: alice, roleQuery: 'support', context })).rejects.toMatchObject({
      code: 'UPSTREAM_FAILED',
    });
    expect(jetstream.kept.map((e) => e.outcome)).toEqual(['pending', 'failed']);
    expect(jetstream.kept[1]?.accessKeyId).toMatch(/^ASIA/);
  });
});
