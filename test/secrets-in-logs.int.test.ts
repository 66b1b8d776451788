import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { seedDemoOrganization, type DemoAccount } from '@rolecall/testing';
import { refresh, waitForCrawl } from './support/crawls.js';
import { call } from './support/http-call.js';
import { eventually, startStack, type Stack } from './support/stack.js';
import { inlinePolicyRequest } from './support/policy-requests.js';

/**
 * Runs sign-in → Weep login → credentials → request → approve on the real stack, every service a
 * process at log level debug, then reads every line every service wrote and finds none of the
 * secrets that went by: session cookies and the JWT Weep was handed, the CSRF token, the AWS secret
 * key and session token issued, the JWT signing secret, and nothing shaped like a JWT at all.
 */

const SECRET = `logs-${randomBytes(24).toString('hex')}`;
const ALICE = { email: 'alice@example.com', groups: ['engineering', 'payments'] };
const ADMIN = { email: 'admin@example.com', groups: ['admins', 'engineering'] };
/** A compact JWS: what a session cookie or an OIDC token looks like, whoever's it is. */
const JWT_SHAPE = /eyJ[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]*/;

let stack: Stack;
let account: DemoAccount;

beforeAll(async () => {
  stack = await startStack({
    config: { log: { level: 'debug' }, auth: { jwt: { secret: SECRET } }, demo: { users: [ALICE, ADMIN] } },
  });
  const org = await seedDemoOrganization({ endpointUrl: stack.env.moto.url, region: 'us-east-1' });
  account = org.accounts.find((a) => a.id !== org.managementAccountId)!;
  const requestedAt = new Date().toISOString();
  await waitForCrawl(stack, await refresh(stack), requestedAt);
}, 300_000);

afterAll(async () => {
  await stack?.stop();
});

const url = (path: string) => `${stack.gatewayUrl}${path}`;
const cookieValue = (header: string | string[] | undefined, name: string) =>
  [header ?? []]
    .flat()
    .find((c) => c.startsWith(`${name}=`))
    ?.split(';')[0]
    ?.slice(name.length + 1) ?? '';

/** The demo sign-in as the UI does it, then the session read that hands the page its CSRF token. */
async function signIn(email: string) {
  const signedIn = await call(url('/api/v3/session/demo'), { method: 'POST', body: { email } });
  expect(signedIn.status, signedIn.body).toBe(200);
  const session = cookieValue(signedIn.headers['set-cookie'], 'consoleme_auth');
  const who = await call(url('/api/v3/session'), { headers: { cookie: `consoleme_auth=${session}` } });
  const csrf = cookieValue(who.headers['set-cookie'], 'rolecall_csrf');
  expect(session).not.toBe('');
  expect(csrf).not.toBe('');
  return {
    session,
    csrf,
    headers: { cookie: `consoleme_auth=${session}; rolecall_csrf=${csrf}`, 'x-csrf-token': csrf },
  };
}

describe('secrets in logs', () => {
  it('finds no session token, JWT, cookie, CSRF token or AWS secret in any line of any service', async () => {
    const secrets: Record<string, string> = { 'JWT signing secret': SECRET };
    const alice = await signIn(ALICE.email);
    const admin = await signIn(ADMIN.email);
    Object.assign(secrets, {
      "alice's session cookie": alice.session,
      "alice's CSRF token": alice.csrf,
      "admin's session cookie": admin.session,
    });

    // Weep's challenge login, approved in alice's signed-in browser.
    const generated = JSON.parse((await call(url(`/noauth/v1/challenge_generator/${ALICE.email}`))).body) as {
      challenge_url: string;
      polling_url: string;
    };
    const token = generated.challenge_url.split('/').pop() ?? '';
    const view = await call(url(`/api/v2/challenge_validator/${token}`), { headers: alice.headers });
    const { nonce } = JSON.parse(view.body) as { nonce: string };
    const approved = await call(url(`/api/v2/challenge_validator/${token}`), {
      method: 'POST',
      headers: alice.headers,
      body: { nonce },
    });
    expect(approved.status, approved.body).toBe(200);
    const polled = JSON.parse((await call(generated.polling_url)).body) as { encoded_jwt: string };
    secrets["weep's JWT"] = polled.encoded_jwt;
    secrets['challenge token'] = token;

    const issued = await call(url('/api/v1/get_credentials'), {
      method: 'POST',
      headers: { cookie: `consoleme_auth=${polled.encoded_jwt}` },
      body: { requested_role: `arn:aws:iam::${account.id}:role/readonly` },
    });
    expect(issued.status, issued.body).toBe(200);
    const { Credentials } = JSON.parse(issued.body) as {
      Credentials: { SecretAccessKey: string; SessionToken: string };
    };
    secrets['AWS secret access key'] = Credentials.SecretAccessKey;
    secrets['AWS session token'] = Credentials.SessionToken;

    const created = await call(url('/api/v2/request'), {
      method: 'POST',
      headers: alice.headers,
      body: inlinePolicyRequest({
        roleArn: `arn:aws:iam::${account.id}:role/support`,
        policyName: 'logs-read',
        justification: 'secrets-in-logs',
        bucket: 'logs',
      }),
    });
    expect(created.status, created.body).toBe(200);
    const requestId = (JSON.parse(created.body) as { request_id: string }).request_id;
    const approval = await call(url(`/api/v2/requests/${requestId}`), {
      method: 'PUT',
      headers: admin.headers,
      body: { modification_model: { command: 'approve_request' } },
    });
    expect(approval.status, approval.body).toBe(200);
    // The approval is applied and audited by other services: wait until their lines are written.
    await eventually(
      async () => {
        const detail = await stack.api(`/api/v2/requests/${requestId}`);
        const body = (await detail.json()) as { request: string };
        return (
          (JSON.parse(body.request) as { request_status: string }).request_status === 'approved' || undefined
        );
      },
      () => `request ${requestId} was never approved`,
      30_000,
    );

    const lines = stack.services.flatMap((service) =>
      service
        .output()
        .split('\n')
        .map((line, index) => ({ where: `${service.name}:${index + 1}`, line })),
    );
    // The harness keeps each service's output: a test that read none would find nothing by construction.
    expect(lines.length).toBeGreaterThan(100);
    for (const name of ['gateway', 'broker', 'requests', 'cache', 'crawler']) {
      expect(lines.some((l) => l.where.startsWith(`${name}:`) && l.line.includes('"level"'))).toBe(true);
    }
    const found: string[] = [];
    for (const { where, line } of lines) {
      for (const [what, secret] of Object.entries(secrets)) {
        expect(secret.length, what).toBeGreaterThan(15);
        if (line.includes(secret)) found.push(`${what} at ${where}`);
      }
      if (JWT_SHAPE.test(line)) found.push(`a JWT at ${where}`);
      if (/cookie/i.test(line) && /consoleme_auth=|rolecall_csrf=/.test(line))
        found.push(`a cookie at ${where}`);
    }
    expect(found).toEqual([]);
  });
});
