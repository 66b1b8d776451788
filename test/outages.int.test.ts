import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { tableNames } from '@rolecall/shared/aws';
import type { CredentialAuditEvent } from '@rolecall/shared/contracts';
import { DEMO_USERS, type DemoAccount } from '@rolecall/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createDynamoAuditStore } from '../services/broker/src/adapters/dynamo-audit-store.js';
import { motoDynamo } from './support/aws.js';
import { refresh, seedProdAccount, waitForCrawl } from './support/crawls.js';
import { ALL_SERVICES, eventually, startStack, type ServiceProcess, type Stack } from './support/stack.js';
import { issuedAccessKeyId, startRecordingProxy, type RecordingProxy } from './weep/recording-proxy.js';

const alice = DEMO_USERS.find((u) => u.email === 'alice@example.com')!;
const aliceHeaders = {
  'x-forwarded-email': alice.email,
  'x-forwarded-groups': alice.groups.join(','),
  'content-type': 'application/json',
};
/**
 * Longer than any answer Rolecall gives: the gateway's broker timeout is 15 s, and a broker whose NATS
 * died mid-request waits at most 2 s for each JetStream acknowledgement before writing to DynamoDB. A
 * request that hangs (as they did for 15-31 s before) runs into it.
 */
const HANG_MS = 20_000;

interface Answer {
  status: number;
  body: { code?: string; request_id?: string; Credentials?: { AccessKeyId: string } };
  /** Why no answer came, when none did. */
  error?: string;
}

describe('credential brokering while its dependencies die', () => {
  let stack: Stack;
  let proxy: RecordingProxy;
  let prod: DemoAccount;
  const roleArn = (path: string) => `arn:aws:iam::${prod.id}:role/${path}`;
  const service = (name: string) => stack.services.find((s) => s.name === name) as ServiceProcess;

  beforeAll(async () => {
    stack = await startStack({
      services: [],
      config: {
        auth: { cliAcceptsTrustedHeaders: true },
        gateway: { rateLimit: { credentialsPerMinute: 100_000 } },
        demo: { federationStandIn: true },
      },
    });
    prod = await seedProdAccount(stack);
    // Every STS call the broker makes goes through this proxy, so the test sees each key STS issued.
    proxy = await startRecordingProxy(stack.env.moto.url);
    await stack.updateConfig({ broker: { federationUrl: `${stack.gatewayUrl}/demo/federation` } });
    for (const name of ALL_SERVICES) {
      await stack.start(name, name, name === 'broker' ? { AWS_ENDPOINT_URL: proxy.url } : {});
    }
    const requestedAt = new Date().toISOString();
    await waitForCrawl(stack, await refresh(stack, { resourceTypes: ['iam'] }), requestedAt);
  });
  afterAll(async () => {
    await stack?.stop();
    await proxy?.stop();
  });

  const ask = async (requestedRole: string): Promise<Answer> => {
    const response = await fetch(`${stack.gatewayUrl}/api/v1/get_credentials`, {
      method: 'POST',
      headers: aliceHeaders,
      body: JSON.stringify({ requested_role: requestedRole }),
      signal: AbortSignal.timeout(HANG_MS),
    });
    return { status: response.status, body: (await response.json()) as Answer['body'] };
  };

  /** The broker's audit trail of alice, read with the broker's own reader of its table. */
  const auditTrail = async (): Promise<CredentialAuditEvent[]> => {
    const dynamo = motoDynamo(stack.env.moto.url);
    try {
      const store = createDynamoAuditStore({
        doc: DynamoDBDocumentClient.from(dynamo),
        tableName: tableNames('test_').audit,
      });
      const items: CredentialAuditEvent[] = [];
      let cursor: string | undefined;
      do {
        const page = await store.query({ user: alice.email, limit: 500, ...(cursor ? { cursor } : {}) });
        items.push(...page.items);
        cursor = page.nextCursor ?? undefined;
      } while (cursor);
      return items;
    } finally {
      dynamo.destroy();
    }
  };

  const stsIssuedKeys = () =>
    proxy.calls
      .filter((c) => c.action === 'AssumeRole' && c.status === 200)
      .map(issuedAccessKeyId)
      .filter((k): k is string => k !== undefined);

  it('records every key STS issued while NATS is killed mid-issuance, and every refusal it answered', async () => {
    const answers: Answer[] = [];
    const roles = [roleArn('readonly'), roleArn('support'), roleArn('bob-sandbox'), 'no-such-role'];
    let running = true;
    const worker = async (offset: number) => {
      for (let i = offset; running; i++) {
        try {
          answers.push(await ask(roles[i % roles.length]!));
        } catch (error) {
          // The gateway was unreachable or hung: counted below as no answer at all.
          answers.push({ status: 0, body: {}, error: String(error) });
        }
      }
    };
    const workers = [0, 1, 2].map(worker);
    await eventually(
      () => (answers.length >= 12 ? true : undefined),
      () => 'no answers before the kill',
    );

    stack.env.nats.process?.kill('SIGKILL');
    const atKill = answers.length;
    await eventually(
      () => (answers.slice(atKill).some((a) => a.body.code === 'NATS_UNAVAILABLE') ? true : undefined),
      () => `no NATS_UNAVAILABLE while NATS was down: ${JSON.stringify(answers.slice(atKill).slice(-5))}`,
      HANG_MS,
    );
    await stack.env.nats.restart();
    const atRestart = answers.length;
    await eventually(
      () => (answers.slice(atRestart).filter((a) => a.status === 200).length >= 6 ? true : undefined),
      () => `no credentials after NATS came back: ${JSON.stringify(answers.slice(-5))}`,
      30_000,
    );
    running = false;
    await Promise.all(workers);

    // Nothing hung, nothing was an unexplained 500.
    expect(answers.filter((a) => a.status === 0 || (a.status >= 500 && a.status !== 503))).toEqual([]);
    expect(answers.filter((a) => a.status === 503).every((a) => a.body.code?.endsWith('_UNAVAILABLE'))).toBe(
      true,
    );

    // Refusals and completions are durable (in the AUDIT stream) before the answer; the audit consumer
    // writes them to the table soon after. Once the trail has caught up: one completed record per key STS
    // issued, no more, none left pending, and every refusal a client was told about.
    const toldRefused = answers.filter((a) => a.body.code === '900' || a.body.code === '903');
    const trail = await eventually(
      async () => {
        const events = await auditTrail();
        const recorded = events.filter((e) => e.outcome === 'issued').map((e) => e.accessKeyId);
        const done = events.every((e) => e.outcome !== 'pending');
        const refused = new Set(events.filter((e) => e.outcome === 'refused').map((e) => e.requestId));
        const allRefusals = toldRefused.every((a) => refused.has(a.body.request_id ?? ''));
        return done && allRefusals && recorded.length >= stsIssuedKeys().length ? events : undefined;
      },
      async () =>
        `audit trail incomplete: ${JSON.stringify((await auditTrail()).filter((e) => e.outcome === 'pending'))}`,
      60_000,
    );
    const issuedKeys = stsIssuedKeys().sort();
    expect(issuedKeys.length).toBeGreaterThan(6);
    expect(
      trail
        .filter((e) => e.outcome === 'issued')
        .map((e) => e.accessKeyId)
        .sort(),
    ).toEqual(issuedKeys);

    // Every refusal a client was told about is in the trail, under its request id.
    const refusedIds = new Set(trail.filter((e) => e.outcome === 'refused').map((e) => e.requestId));
    expect(toldRefused.length).toBeGreaterThan(0);
    expect(toldRefused.filter((a) => !refusedIds.has(a.body.request_id ?? ''))).toEqual([]);
    // And every key a client received is one of them.
    const received = answers.flatMap((a) => (a.body.Credentials ? [a.body.Credentials.AccessKeyId] : []));
    expect(received.filter((k) => !issuedKeys.includes(k))).toEqual([]);
  });

  it('answers 503 REDIS_UNAVAILABLE at once while Redis is down, and serves again once it is back', async () => {
    stack.env.redis.process?.kill('SIGKILL');
    try {
      const credentials = await ask(roleArn('readonly'));
      expect(credentials).toMatchObject({ status: 503, body: { code: 'REDIS_UNAVAILABLE' } });
      const listing = await fetch(`${stack.gatewayUrl}/api/v3/resources?limit=5`, {
        headers: aliceHeaders,
        signal: AbortSignal.timeout(HANG_MS),
      });
      expect(listing.status).toBe(503);
      expect(await listing.json()).toMatchObject({ code: 'REDIS_UNAVAILABLE' });
    } finally {
      await stack.env.redis.restart();
    }
    // Redis comes back empty; the cache refills it, and requests succeed again.
    await eventually(
      async () => ((await ask(roleArn('readonly'))).status === 200 ? true : undefined),
      () => 'credentials not issued again after Redis came back',
      60_000,
    );
  });

  it('answers 503 BROKER_UNAVAILABLE at once when the broker was killed', async () => {
    const broker = service('broker');
    await broker.kill();
    stack.services.splice(stack.services.indexOf(broker), 1);
    try {
      expect(await ask(roleArn('readonly'))).toMatchObject({
        status: 503,
        body: { code: 'BROKER_UNAVAILABLE' },
      });
    } finally {
      await stack.start('broker', 'broker', { AWS_ENDPOINT_URL: proxy.url });
    }
    await eventually(
      async () => ((await ask(roleArn('readonly'))).status === 200 ? true : undefined),
      () => 'credentials not issued again after the broker restarted',
      30_000,
    );
  });

  it('writes no session secret or sign-in token to any log, console sign-in included', async () => {
    const issued = await ask(roleArn('readonly'));
    expect(issued.status).toBe(200);
    const secrets = issued.body as unknown as {
      Credentials: { SecretAccessKey: string; SessionToken: string };
    };
    const login = await fetch(
      `${stack.gatewayUrl}/api/v2/role_login/${encodeURIComponent(roleArn('readonly'))}`,
      {
        headers: aliceHeaders,
      },
    );
    expect(login.status).toBe(200);
    const signinUrl = new URL(((await login.json()) as { redirect_url: string }).redirect_url);
    const signinToken = signinUrl.searchParams.get('SigninToken') ?? '';
    expect(signinToken.length).toBeGreaterThan(20);
    // Following the link, as the browser does, logs the request URL with the token in it.
    const page = await fetch(signinUrl);
    expect(page.status).toBe(200);
    // The broker's getSigninToken call (Session = key and token) went through the gateway's stand-in.
    const gatewayLog = await eventually(
      () => {
        const log = service('gateway').output();
        return /Action=getSigninToken/.test(log) && /Action=login/.test(log) ? log : undefined;
      },
      () => 'the gateway did not log the federation requests',
      10_000,
    );
    expect(gatewayLog).toContain('Session=[redacted]');
    expect(gatewayLog).toContain('SigninToken=[redacted]');
    // Every secret STS handed the broker (the CLI credentials and the console session alike).
    const fromSts = proxy.calls
      .filter((c) => c.action === 'AssumeRole' && c.status === 200)
      .flatMap((c) =>
        [...c.response.matchAll(/<(SecretAccessKey|SessionToken)>([^<]+)</g)].map((m) => m[2]!),
      );
    expect(fromSts).toContain(secrets.Credentials.SecretAccessKey);
    const everything = stack.services.map((s) => s.output()).join('\n');
    for (const secret of [...fromSts, signinToken]) {
      for (const form of [secret, encodeURIComponent(secret)]) {
        expect(everything.includes(form), `a secret reached a log: ${form.slice(0, 8)}…`).toBe(false);
      }
    }
  });
});
