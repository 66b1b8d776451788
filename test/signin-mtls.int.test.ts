import { existsSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { GetCallerIdentityCommand, STSClient } from '@aws-sdk/client-sts';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { awsClientConfig } from '@rolecall/shared/aws';
import { DEMO_USERS, seedDemoOrganization, type DemoAccount } from '@rolecall/testing';
import {
  createCertificateAuthority,
  type IssuedCertificate,
  type TestCertificateAuthority,
} from './support/certificates.js';
import { refresh, waitForCrawl } from './support/crawls.js';
import { call, type CallResult } from './support/http-call.js';
import { eventually, startStack, type Stack } from './support/stack.js';
import { readTaggedRoles, rolesFor } from './weep/tag-oracle.js';
import { arnsIn, createWeepHome, findWeep, type WeepHome } from './weep/weep-cli.js';

const ALICE = DEMO_USERS.find((u) => u.email === 'alice@example.com')!;
const CAROL = DEMO_USERS.find((u) => u.email === 'carol@example.com')!;
/** The header a TLS-terminating proxy (nginx: `proxy_set_header X-SSL-Client-Cert $ssl_client_escaped_cert`) sets. */
const PROXY_HEADER = 'X-SSL-Client-Cert';

/** One https call trusting the test CA, presenting `client` when given (see support/http-call.ts). */
function callTls(
  url: string,
  init: Omit<NonNullable<Parameters<typeof call>[1]>, 'tls'> & { ca: string; client?: IssuedCertificate },
): Promise<CallResult> {
  const { ca, client, ...rest } = init;
  return call(url, {
    ...rest,
    tls: { ca, ...(client ? { cert: client.cert, key: client.key } : {}) },
  });
}

describe('mTLS sign-in for the CLI, with the real weep binary', () => {
  let stack: Stack;
  let dir: string;
  let accounts: DemoAccount[];
  let ca: TestCertificateAuthority;
  let rogueCa: TestCertificateAuthority;
  let certs: Record<'alice' | 'aliceExpired' | 'aliceRogue' | 'carol' | 'dave', IssuedCertificate>;
  let gatewayUrl: string;
  /** CLI roles the tags grant alice by name; with `groupsFrom: none` her certificate gets exactly these. */
  let aliceOwnRoles: string[];
  /** CLI roles alice has only through her groups (which a certificate does not carry here). */
  let aliceGroupRoles: string[];
  const homes: WeepHome[] = [];

  const weepWith = async (client: IssuedCertificate) => {
    const home = await createWeepHome({
      consolemeUrl: gatewayUrl,
      mtls: { cert: client.certPath, key: client.keyPath, catrust: ca.certPath },
    });
    homes.push(home);
    return home;
  };

  /** The credential audit trail of one user, read as an admin through the trusted headers from loopback. */
  const auditOf = async (user: string) => {
    const result = await callTls(`${gatewayUrl}/api/v3/audit/credentials?user=${encodeURIComponent(user)}`, {
      ca: ca.cert,
      headers: { 'x-forwarded-email': 'admin@example.com', 'x-forwarded-groups': 'admins' },
    });
    expect(result.status, result.body).toBe(200);
    return (JSON.parse(result.body) as { items: { user: string; outcome?: string }[] }).items;
  };

  const getCredentials = (role: string, init: Omit<Parameters<typeof callTls>[1], 'ca'> = {}) =>
    callTls(`${gatewayUrl}/api/v1/get_credentials`, {
      ca: ca.cert,
      method: 'POST',
      body: { requested_role: role },
      ...init,
    });

  beforeAll(async () => {
    if (!existsSync(findWeep())) throw new Error('weep is not installed: run scripts/install-weep.sh');
    dir = await mkdtemp(join(tmpdir(), 'rolecall-mtls-'));
    ca = await createCertificateAuthority(dir, 'rolecall-test-client-ca');
    rogueCa = await createCertificateAuthority(dir, 'someone-elses-ca');
    const server = await ca.issue({
      name: 'gateway',
      subject: '/CN=rolecall-gateway',
      altNames: ['IP:127.0.0.1', 'DNS:localhost'],
      usage: 'server',
    });
    certs = {
      alice: await ca.issue({ name: 'alice', subject: `/CN=${ALICE.email}` }),
      aliceExpired: await ca.issue({
        name: 'alice-expired',
        subject: `/CN=${ALICE.email}`,
        notBefore: new Date(Date.now() - 3 * 86_400_000),
        notAfter: new Date(Date.now() - 86_400_000),
      }),
      aliceRogue: await rogueCa.issue({ name: 'alice', subject: `/CN=${ALICE.email}` }),
      carol: await ca.issue({ name: 'carol', subject: `/CN=${CAROL.email}` }),
      dave: await ca.issue({ name: 'dave', subject: '/CN=dave@example.com' }),
    };

    stack = await startStack({
      services: [],
      config: { gateway: { rateLimit: { credentialsPerMinute: 1000 } } },
    });
    const org = await seedDemoOrganization({ endpointUrl: stack.env.moto.url, region: 'us-east-1' });
    accounts = org.accounts;
    for (const name of ['cache', 'crawler', 'broker'] as const) await stack.start(name);
    // The first crawl is started through a plain-http gateway (the stack's helpers speak http), which then
    // makes room for the TLS one on the same port.
    const plain = await stack.start('gateway');
    const requestedAt = new Date().toISOString();
    await waitForCrawl(stack, await refresh(stack), requestedAt);
    await plain.stop();

    gatewayUrl = stack.gatewayUrl.replace('http://', 'https://');
    await stack.updateConfig({
      gateway: {
        publicUrl: gatewayUrl,
        tls: { certFile: server.certPath, keyFile: server.keyPath, clientCaFile: ca.certPath },
      },
      auth: { mtls: { userFrom: 'subjectCN', proxyHeader: PROXY_HEADER, proxyCaFile: ca.certPath } },
    });
    await stack.start('gateway', 'gateway-tls');

    const tagged = await readTaggedRoles(
      stack.env.moto.url,
      accounts.map((a) => a.id),
    );
    aliceOwnRoles = rolesFor(tagged, { user: ALICE.email, groups: [] }, 'cli');
    const withGroups = rolesFor(tagged, { user: ALICE.email, groups: ALICE.groups }, 'cli');
    aliceGroupRoles = withGroups.filter((arn) => !aliceOwnRoles.includes(arn));
    expect(aliceOwnRoles.length).toBeGreaterThan(0);
    expect(aliceGroupRoles.length).toBeGreaterThan(0);
  });
  afterAll(async () => {
    for (const home of homes) await home.remove();
    await stack?.stop();
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it('serves pages and the health check over https to a client without a certificate, and refuses it the CLI routes', async () => {
    const health = await callTls(`${gatewayUrl}/healthcheck`, { ca: ca.cert });
    expect(health.status).toBe(200);
    const noCert = await getCredentials(aliceOwnRoles[0]!);
    expect(noCert.status).toBe(403);
    expect(JSON.parse(noCert.body)).toMatchObject({ code: 'invalid_jwt' });
    expect(noCert.body).toMatch(/client certificate/);
  });

  it('refuses a certificate from another CA and an expired one with the reason, before the broker is asked', async () => {
    const role = aliceOwnRoles[0]!;
    const rogue = await (await weepWith(certs.aliceRogue)).run(['credential_process', role]);
    expect(rogue.code).toBe(1);
    expect(rogue.stdout).toBe('');
    expect(rogue.stderr).toMatch(/CLIENT_CERT_REFUSED/);
    expect(rogue.stderr).toMatch(
      /does not verify against gateway\.tls\.clientCaFile: it was not issued by that CA/,
    );

    const expired = await (await weepWith(certs.aliceExpired)).run(['credential_process', role]);
    expect(expired.code).toBe(1);
    expect(expired.stdout).toBe('');
    expect(expired.stderr).toMatch(/CLIENT_CERT_REFUSED/);
    expect(expired.stderr).toMatch(/it has expired \(CERT_HAS_EXPIRED\)/);

    // The same refusals seen by a Node client: the status and the stable code.
    for (const client of [certs.aliceRogue, certs.aliceExpired]) {
      const refused = await getCredentials(role, { client });
      expect(refused.status).toBe(403);
      expect(refused.code).toBe('CLIENT_CERT_REFUSED');
    }
    // Nothing reached the broker for alice: no issuance, no refusal in her audit trail.
    expect(await auditOf(ALICE.email)).toEqual([]);
  });

  it('weep list shows the roles granted to the user the certificate names, and none granted only to groups', async () => {
    const weep = await weepWith(certs.alice);
    const result = await weep.run(['list', '-s']);
    expect(result.code, result.stderr).toBe(0);
    const listed = [...new Set(arnsIn(result.stdout))].sort();
    expect(listed).toEqual(aliceOwnRoles);
    for (const arn of aliceGroupRoles) expect(listed).not.toContain(arn);
  });

  it('weep credential_process gets credentials that act as the role, with the certificate user as the session', async () => {
    const role = aliceOwnRoles[0]!;
    const result = await (await weepWith(certs.alice)).run(['credential_process', role]);
    expect(result.code, result.stderr).toBe(0);
    const output = JSON.parse(result.stdout) as Record<string, string>;
    const sts = new STSClient(
      awsClientConfig('sts', {
        region: 'us-east-1',
        endpointUrl: stack.env.moto.url,
        credentials: {
          accessKeyId: output.AccessKeyId!,
          secretAccessKey: output.SecretAccessKey!,
          sessionToken: output.SessionToken!,
        },
      }),
    );
    const identity = await sts.send(new GetCallerIdentityCommand({}));
    const [, , , , accountId, resource] = role.split(':');
    expect(identity.Account).toBe(accountId);
    expect(identity.Arn).toBe(
      `arn:aws:sts::${accountId}:assumed-role/${resource!.split('/').at(-1)}/${ALICE.email}`,
    );
    const issued = await eventually(
      async () => {
        const items = await auditOf(ALICE.email);
        return items.some((i) => i.outcome === 'issued') ? items : undefined;
      },
      async () => `no issued audit record for alice: ${JSON.stringify(await auditOf(ALICE.email))}`,
      20_000,
    );
    expect(issued.every((i) => i.user === ALICE.email)).toBe(true);
  });

  it("refuses a user whose certificate is valid but who may not use the role, with weep's no-matching-roles error", async () => {
    const result = await (await weepWith(certs.carol)).run(['credential_process', aliceOwnRoles[0]!]);
    expect(result.code).toBe(1);
    expect(result.stdout).toBe('');
    expect(result.stderr).toMatch(/no matching roles/i);
  });

  it('takes a certificate a trusted proxy forwarded in the header, and ignores the header from anyone else', async () => {
    const role = aliceOwnRoles[0]!;
    const forwarded = (client: IssuedCertificate) => ({ [PROXY_HEADER]: encodeURIComponent(client.cert) });

    const fromProxy = await getCredentials(role, { headers: forwarded(certs.alice) });
    expect(fromProxy.status, fromProxy.body).toBe(200);
    expect(JSON.parse(fromProxy.body)).toMatchObject({
      Credentials: { AccessKeyId: expect.any(String) as string, RoleArn: role },
    });

    // From 127.0.0.2 the header is a claim anyone could make: no identity, the CLI's invalid_jwt.
    const fromElsewhere = await getCredentials(role, {
      headers: forwarded(certs.dave),
      localAddress: '127.0.0.2',
    });
    expect(fromElsewhere.status).toBe(403);
    expect(JSON.parse(fromElsewhere.body)).toMatchObject({ code: 'invalid_jwt' });

    // Even from the proxy, a certificate that auth.mtls.proxyCaFile did not issue, an expired one, or a
    // header that is no certificate are refused.
    for (const value of [
      encodeURIComponent(certs.aliceRogue.cert),
      encodeURIComponent(certs.aliceExpired.cert),
      'not-a-certificate',
    ]) {
      const refused = await getCredentials(role, { headers: { [PROXY_HEADER]: value } });
      expect(refused.status, value).toBe(403);
      expect(refused.code).toBe('CLIENT_CERT_REFUSED');
    }
    expect(await auditOf('dave@example.com')).toEqual([]);
  });
});
