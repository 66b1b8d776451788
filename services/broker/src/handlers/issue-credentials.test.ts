import { AppError } from '@rolecall/shared/errors';
import { silentLogger } from '@rolecall/shared/log';
import { describe, expect, it } from 'vitest';
import {
  createFakeIssuer,
  createFakeSink,
  createInMemoryIssuanceReader,
  createInMemoryMapping,
  DEFAULT_SETTINGS,
  fakeSignin,
  role,
} from '../../test/fakes.js';
import type { CredentialIssuer } from '../domain/ports.js';
import { createAuditRecorder } from './audit-recorder.js';
import { createConsoleLoginHandler } from './console-login.js';
import { createIssueCredentialsHandler } from './issue-credentials.js';

const A = '222222222222';
const roles = [
  role(A, 'support', { 'consoleme-authorized': 'engineering' }, { maxSessionDuration: 7200 }),
  role(A, 'worker', { 'consoleme-authorized-cli-only': 'alice@example.com' }),
  role(A, 'admin', { 'consoleme-authorized': 'admins' }),
];
const context = { sourceIp: '10.1.2.3', userAgent: 'weep/ Go-http-client/1.1', requestId: 'req-1' };
const alice = { user: 'alice@example.com', groups: ['engineering'] };

function setup(
  issuer: CredentialIssuer = createFakeIssuer(),
  duration = 43200,
  ipRestrictions: string[] = [],
  ipRestrictionExemptGroups: string[] = [],
) {
  const mapping = createInMemoryMapping(roles, {}, DEFAULT_SETTINGS);
  const sink = createFakeSink();
  const audit = createAuditRecorder({ sinks: [sink], log: silentLogger(), lowercaseIdentities: true });
  const issue = createIssueCredentialsHandler({
    mapping,
    reads: createInMemoryIssuanceReader(mapping),
    issuer,
    audit,
    settings: {
      sessionDurationSeconds: duration,
      ipRestrictions,
      ipRestrictionExemptGroups,
      lowercaseIdentities: true,
    },
    log: silentLogger(),
  });
  const signin = fakeSignin();
  const login = createConsoleLoginHandler({
    mapping,
    issuer,
    signin,
    audit,
    settings: {
      sessionDurationSeconds: duration,
      lowercaseIdentities: true,
      consoleRedirectHosts: ['console.aws.amazon.com', '*.console.aws.amazon.com'],
      federationUrl: 'http://127.0.0.1:1/federation',
      consoleUrl: 'https://{region}.console.aws.amazon.com/',
      issuer: 'rolecall',
      defaultRegion: 'us-east-1',
    },
    log: silentLogger(),
  });
  return { issue, login, sink, signin };
}

describe('issue credentials', () => {
  it('assumes the role as the user, capped at the role maximum, with integer expiration, and audits it', async () => {
    const issuer = createFakeIssuer();
    const { issue, sink } = setup(issuer);
    const reply = await issue({ caller: alice, requestedRole: 'support', channel: 'cli', context });
    expect(reply.outcome).toBe('issued');
    if (reply.outcome !== 'issued') return;
    expect(issuer.calls[0]).toMatchObject({
      roleArn: `arn:aws:iam::${A}:role/support`,
      sessionName: 'alice@example.com',
      sourceIdentity: 'alice@example.com',
      durationSeconds: 7200,
    });
    expect(Number.isInteger(reply.credentials.expiration)).toBe(true);
    // The intent first, then its completion: one record (same id), written twice.
    expect(sink.events.map((e) => e.outcome)).toEqual(['pending', 'issued']);
    expect(sink.events[0]).toMatchObject({ outcome: 'pending', roleArn: `arn:aws:iam::${A}:role/support` });
    expect(sink.events[0]?.accessKeyId).toBeUndefined();
    const event = sink.events[1];
    expect(event?.id).toBe(sink.events[0]?.id);
    expect(event).toMatchObject({
      outcome: 'issued',
      user: 'alice@example.com',
      channel: 'cli',
      roleArn: `arn:aws:iam::${A}:role/support`,
      accessKeyId: reply.credentials.accessKeyId,
      durationSeconds: 7200,
      sourceIp: '10.1.2.3',
      requestId: 'req-1',
    });
    expect(JSON.stringify(event)).not.toContain(reply.credentials.secretAccessKey);
    expect(JSON.stringify(event)).not.toContain(reply.credentials.sessionToken);
  });

  it('retries once with one hour when the maximum was unknown and AWS refuses the duration', async () => {
    const issuer = createFakeIssuer({ maxSessionDuration: 3600 });
    const { issue } = setup(issuer);
    const reply = await issue({
      caller: { user: 'x', groups: ['admins'] },
      requestedRole: 'admin',
      channel: 'cli',
      context,
    });
    expect(reply.outcome).toBe('issued');
    expect(issuer.calls.map((c) => c.durationSeconds)).toEqual([43200, 3600]);
  });

  it('adds the IP restriction policy for the CLI unless an exempt caller sends no_ip_restrictions', async () => {
    const issuer = createFakeIssuer();
    const { issue } = setup(issuer, 3600, ['10.0.0.0/8'], ['Engineering']);
    await issue({ caller: alice, requestedRole: 'support', channel: 'cli', context });
    await issue({ caller: alice, requestedRole: 'support', channel: 'cli', noIpRestrictions: true, context });
    await issue({
      caller: alice,
      requestedRole: 'support',
      channel: 'cli',
      customIpRestrictions: ['192.0.2.0/24'],
      context,
    });
    expect(issuer.calls[0]?.policy).toContain('10.0.0.0/8');
    expect(issuer.calls[1]?.policy).toBeUndefined();
    expect(issuer.calls[2]?.policy).toContain('192.0.2.0/24');
    expect(issuer.calls[2]?.policy).not.toContain('10.0.0.0/8');
  });

  it.each([
    ['no_ip_restrictions', { noIpRestrictions: true }],
    ['custom_ip_restrictions', { customIpRestrictions: ['0.0.0.0/0'] }],
  ])(
    'refuses %s from a caller who is not exempt, issues nothing, and audits the refusal',
    async (_n, asked) => {
      const issuer = createFakeIssuer();
      const { issue, sink } = setup(issuer, 3600, ['10.0.0.0/8'], ['security-admins']);
      const reply = await issue({
        caller: alice,
        requestedRole: 'support',
        channel: 'cli',
        ...asked,
        context,
      });
      expect(reply).toMatchObject({ outcome: 'refused', reason: 'ip_exemption_not_allowed' });
      expect(issuer.calls).toHaveLength(0);
      expect(sink.events).toMatchObject([{ outcome: 'refused', reason: 'ip_exemption_not_allowed' }]);
      // Asking for no exemption (what Weep sends by default) is fine.
      const plain = await issue({
        caller: alice,
        requestedRole: 'support',
        channel: 'cli',
        noIpRestrictions: false,
        customIpRestrictions: [],
        context,
      });
      expect(plain.outcome).toBe('issued');
      expect(issuer.calls[0]?.policy).toContain('10.0.0.0/8');
    },
  );

  it('refuses a role the user may not use: not_eligible for a known ARN, no_matching_role otherwise', async () => {
    const issuer = createFakeIssuer();
    const { issue, sink } = setup(issuer);
    const known = await issue({
      caller: alice,
      requestedRole: `arn:aws:iam::${A}:role/admin`,
      channel: 'cli',
      context,
    });
    const unknown = await issue({ caller: alice, requestedRole: 'nothing-like-it', channel: 'cli', context });
    expect(known).toMatchObject({ outcome: 'refused', reason: 'not_eligible' });
    expect(unknown).toMatchObject({ outcome: 'refused', reason: 'no_matching_role' });
    expect(issuer.calls).toHaveLength(0);
    expect(sink.events.map((e) => [e.outcome, e.reason])).toEqual([
      ['refused', 'not_eligible'],
      ['refused', 'no_matching_role'],
    ]);
  });

  it('lists the matches when several roles match', async () => {
    const { issue } = setup();
    const reply = await issue({
      caller: { user: 'alice@example.com', groups: ['engineering'] },
      requestedRole: A,
      channel: 'cli',
      context,
    });
    expect(reply).toMatchObject({
      outcome: 'refused',
      reason: 'multiple_matching_roles',
      matches: [`arn:aws:iam::${A}:role/support`, `arn:aws:iam::${A}:role/worker`],
    });
  });

  it('turns an STS failure into UPSTREAM_FAILED and audits the failure', async () => {
    const issuer = createFakeIssuer({
      fail: new AppError('ACCESS_DENIED', 'AssumeRole failed: AccessDenied'),
    });
    const { issue, sink } = setup(issuer);
    await expect(
      issue({ caller: alice, requestedRole: 'support', channel: 'cli', context }),
    ).rejects.toMatchObject({
      code: 'UPSTREAM_FAILED',
    });
    expect(sink.events.map((e) => e.outcome)).toEqual(['pending', 'failed']);
    expect(sink.events[1]).toMatchObject({ outcome: 'failed', roleArn: `arn:aws:iam::${A}:role/support` });
  });
});

describe('console login', () => {
  it('refuses a role that only the cli-only tag grants', async () => {
    const issuer = createFakeIssuer();
    const { login } = setup(issuer);
    const reply = await login({ caller: alice, roleQuery: `arn:aws:iam::${A}:role/worker`, context });
    expect(reply).toMatchObject({ outcome: 'refused', reason: 'not_eligible' });
    expect(issuer.calls).toHaveLength(0);
  });

  it('signs in without IP restrictions and lands on the region console or the redirect', async () => {
    const issuer = createFakeIssuer();
    const { login, signin } = setup(issuer, 3600, ['10.0.0.0/8']);
    const reply = await login({ caller: alice, roleQuery: 'support', region: 'eu-west-1', context });
    expect(reply.outcome).toBe('signed_in');
    if (reply.outcome !== 'signed_in') return;
    const url = new URL(reply.url);
    expect(url.searchParams.get('Action')).toBe('login');
    expect(url.searchParams.get('SigninToken')).toBe('signin-token');
    expect(url.searchParams.get('Destination')).toBe('https://eu-west-1.console.aws.amazon.com/');
    expect(issuer.calls[0]?.policy).toBeUndefined();
    expect(signin.sessions).toHaveLength(1);
    const redirected = await login({
      caller: alice,
      roleQuery: 'support',
      redirect: 'https://console.aws.amazon.com/s3/home',
      context,
    });
    expect(
      redirected.outcome === 'signed_in' && new URL(redirected.url).searchParams.get('Destination'),
    ).toBe('https://console.aws.amazon.com/s3/home');
  });
});
