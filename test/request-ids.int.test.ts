import { randomUUID } from 'node:crypto';
import { request as httpRequest } from 'node:http';
import { DEMO_USERS, type DemoAccount } from '@rolecall/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { crawlIam, seedProdAccount } from './support/crawls.js';
import { eventually, startStack, type ServiceName, type Stack } from './support/stack.js';
import { inlinePolicyRequest } from './support/policy-requests.js';

const alice = DEMO_USERS.find((u) => u.email === 'alice@example.com')!;
const asAlice = {
  'x-forwarded-email': alice.email,
  'x-forwarded-groups': alice.groups.join(','),
  'content-type': 'application/json',
};

type LogLine = Record<string, unknown>;

describe('one request id in every log line of every service that handles the request', () => {
  let stack: Stack;
  let prod: DemoAccount;

  /** The JSON log lines a service process has written so far (anything else it printed is skipped). */
  const linesOf = (name: ServiceName): LogLine[] => {
    const service = stack.services.find((s) => s.name === name);
    if (!service) throw new Error(`no ${name} process in the stack`);
    return service
      .output()
      .split('\n')
      .filter((line) => line.startsWith('{'))
      .map((line) => JSON.parse(line) as LogLine);
  };
  /** The lines of `name` logged for the request `id`, once there are some with each message in `messages`. */
  const linesFor = (name: ServiceName, id: string, messages: string[]) =>
    eventually(
      () => {
        const lines = linesOf(name).filter((line) => line.requestId === id);
        const seen = new Set(lines.map((line) => line.msg));
        return messages.every((m) => seen.has(m)) ? lines : undefined;
      },
      () => `the ${name} to log ${messages.join(', ')} under ${id}`,
      30_000,
    );

  beforeAll(async () => {
    stack = await startStack({
      config: {
        auth: { cliAcceptsTrustedHeaders: true },
        gateway: { rateLimit: { credentialsPerMinute: 100_000 } },
      },
    });
    prod = await seedProdAccount(stack);
    await crawlIam(stack, [prod.id]);
  });
  afterAll(async () => {
    await stack?.stop();
  });

  it('logs a credential request under the id the trusted proxy chose, in the gateway and the broker', async () => {
    const id = `creds-${randomUUID()}`;
    const response = await fetch(`${stack.gatewayUrl}/api/v1/get_credentials`, {
      method: 'POST',
      headers: { ...asAlice, 'x-request-id': id },
      body: JSON.stringify({ requested_role: `arn:aws:iam::${prod.id}:role/readonly` }),
    });
    expect(response.status).toBe(200);
    expect(response.headers.get('x-request-id')).toBe(id);

    const gateway = await linesFor('gateway', id, ['incoming request', 'request completed']);
    expect(gateway.every((line) => line.service === 'gateway')).toBe(true);
    const broker = await linesFor('broker', id, ['credentials issued']);
    expect(broker.find((line) => line.msg === 'credentials issued')).toMatchObject({
      service: 'broker',
      user: alice.email,
      roleArn: `arn:aws:iam::${prod.id}:role/readonly`,
    });
    // Nothing of another request is logged under this id.
    expect(linesOf('broker').filter((line) => line.requestId === id && line.user !== alice.email)).toEqual(
      [],
    );
  });

  it('logs a policy request under its request id in the gateway and the requests service', async () => {
    const id = `policy-${randomUUID()}`;
    const response = await fetch(`${stack.gatewayUrl}/api/v2/request`, {
      method: 'POST',
      headers: { ...asAlice, 'x-request-id': id },
      body: JSON.stringify(
        inlinePolicyRequest({
          roleArn: `arn:aws:iam::${prod.id}:role/readonly`,
          policyName: 'request-id-test',
          justification: 'request-id test',
          bucket: 'ids',
        }),
      ),
    });
    const body = (await response.json()) as { request_id?: string };
    expect(response.status, JSON.stringify(body)).toBe(200);
    expect(response.headers.get('x-request-id')).toBe(id);

    await linesFor('gateway', id, ['incoming request', 'request completed']);
    const requests = await linesFor('requests', id, ['request created']);
    // The policy request's own id is logged beside, under a name of its own.
    expect(requests.find((line) => line.msg === 'request created')).toMatchObject({
      service: 'requests',
      policyRequestId: body.request_id,
      requester: alice.email,
    });
  });

  it('gives a fresh id instead of one that is malformed or sent from an address that is not a trusted proxy', async () => {
    const malformed = await fetch(`${stack.gatewayUrl}/healthcheck`, {
      headers: { 'x-request-id': 'two words' },
    });
    const fresh = malformed.headers.get('x-request-id');
    expect(fresh).toMatch(/^[0-9a-f-]{36}$/);

    // 127.0.0.2 is a loopback address too, but not in gateway.trustedProxies (127.0.0.1, ::1).
    const chosen = `untrusted-${randomUUID()}`;
    const port = Number(new URL(stack.gatewayUrl).port);
    const answered = await new Promise<string | undefined>((resolve, reject) => {
      const req = httpRequest(
        {
          host: '127.0.0.1',
          port,
          path: '/healthcheck',
          localAddress: '127.0.0.2',
          headers: { 'x-request-id': chosen },
        },
        (res) => {
          res.resume();
          resolve(res.headers['x-request-id'] as string | undefined);
        },
      );
      req.on('error', reject);
      req.end();
    });
    expect(answered).toMatch(/^[0-9a-f-]{36}$/);
    expect(answered).not.toBe(chosen);
    expect(linesOf('gateway').some((line) => line.requestId === chosen)).toBe(false);
  });
});
