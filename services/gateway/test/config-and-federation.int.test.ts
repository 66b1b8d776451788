import type { NatsConnection } from '@nats-io/transport-node';
import { jetstreamManager } from '@nats-io/jetstream';
import { CreateRoleCommand, IAMClient } from '@aws-sdk/client-iam';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { assumeRole, awsClientConfig, ensureAllTables, STSClient } from '@rolecall/shared/aws';
import { parseConfig } from '@rolecall/shared/config';
import { configStreams } from '@rolecall/shared/contracts';
import { sha256Of } from '@rolecall/shared/dynamic-config';
import { silentLogger } from '@rolecall/shared/log';
import { connectNats, ensureStreams } from '@rolecall/shared/nats';
import { createRedis, type Redis } from '@rolecall/shared/redis';
import { motoClientOptions, startTestEnvironment, type TestEnvironment } from '@rolecall/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildApp } from '../src/app.js';
import type { GatewayApp } from '../src/routes/deps.js';
import { TEST_JWT_SECRET } from './support/cookies.js';

const tablePrefix = 'gwcfg_';
const ADMIN = { 'x-forwarded-email': 'admin@example.com', 'x-forwarded-groups': 'admins' };
const ALICE = { 'x-forwarded-email': 'alice@example.com', 'x-forwarded-groups': 'engineering' };
const CAROL = { 'x-forwarded-email': 'carol@example.com', 'x-forwarded-groups': 'contractors' };

let env: TestEnvironment;
let redis: Redis;
let nc: NatsConnection;
let dynamo: DynamoDBClient;
let app: GatewayApp;

beforeAll(async () => {
  env = await startTestEnvironment();
  redis = createRedis(env.redis.url, 'gateway-test');
  nc = await connectNats({ url: env.nats.url, name: 'gateway-test', log: silentLogger() });
  // The gateway's own stream, as its main.ts creates it: saving dynamic config announces the change there.
  await ensureStreams(await jetstreamManager(nc), [configStreams.configChanges]);
  dynamo = new DynamoDBClient(awsClientConfig('dynamodb', motoClientOptions(env.moto.url)));
  await ensureAllTables(dynamo, tablePrefix);
  const config = parseConfig({
    environment: 'test',
    aws: { region: 'us-east-1', endpointUrl: env.moto.url },
    redis: { keyPrefix: 'gw-cfg:' },
    dynamodb: { tablePrefix },
    auth: { jwt: { secret: TEST_JWT_SECRET } },
    demo: { federationStandIn: true },
  });
  app = await buildApp({ config, redis, nc, dynamo, log: silentLogger() });
  await app.ready();
});

afterAll(async () => {
  await app?.close();
  await nc?.close();
  redis?.disconnect();
  dynamo?.destroy();
  await env?.stop();
});

const getConfig = (headers: Record<string, string>) =>
  app.inject({ method: 'GET', url: '/api/v2/dynamic_config', headers });
const saveConfig = (headers: Record<string, string>, existing: string, yaml: string) =>
  app.inject({
    method: 'POST',
    url: '/api/v2/dynamic_config',
    headers,
    payload: { existing_sha256: existing, new_config: yaml },
  });

describe('/api/v2/dynamic_config', () => {
  it('lets admins read and save it, refuses a stale sha with 409 and writes nothing, refuses invalid YAML', async () => {
    const empty = await getConfig(ADMIN);
    expect(empty.statusCode).toBe(200);
    expect(empty.json()).toEqual({ dynamicConfig: '', sha256: sha256Of('') });

    const first = 'group_mapping:\n  engineering:\n    roles: ["arn:aws:iam::111111111111:role/admin"]\n';
    const saved = await saveConfig(ADMIN, sha256Of(''), first);
    expect(saved.statusCode).toBe(200);
    expect(saved.json()).toEqual({ status: 'success', newConfig: first, newsha56: sha256Of(first) });

    const stale = await saveConfig(ADMIN, sha256Of(''), 'group_mapping: {}\n');
    expect(stale.statusCode).toBe(409);
    expect(stale.json()).toMatchObject({
      status: 'error',
      code: 'CONFLICT',
      error: expect.stringContaining('changed') as string,
    });
    expect((await getConfig(ADMIN)).json()).toEqual({ dynamicConfig: first, sha256: sha256Of(first) });

    for (const bad of ['group_mapping: [unclosed\n', 'group_mapping:\n  x:\n    roles: ["not-an-arn"]\n']) {
      const invalid = await saveConfig(ADMIN, sha256Of(first), bad);
      expect(invalid.statusCode).toBe(400);
      expect(invalid.json()).toMatchObject({ status: 'error', code: 'VALIDATION_FAILED' });
    }
    expect((await getConfig(ADMIN)).json<{ sha256: string }>().sha256).toBe(sha256Of(first));
  });

  it('is refused to users who are neither admins nor in groups.can_edit_config, and open to those who are', async () => {
    expect((await getConfig(ALICE)).statusCode).toBe(403);
    const current = (await getConfig(ADMIN)).json<{ dynamicConfig: string; sha256: string }>();
    expect((await saveConfig(ALICE, current.sha256, 'groups: {}\n')).statusCode).toBe(403);
    const withEditors = `${current.dynamicConfig}groups:\n  can_edit_config: [engineering, carol@example.com]\n`;
    expect((await saveConfig(ADMIN, current.sha256, withEditors)).statusCode).toBe(200);
    expect((await getConfig(ALICE)).statusCode).toBe(200);
    expect((await getConfig(CAROL)).statusCode).toBe(200);
    expect((await getConfig({ 'x-forwarded-email': 'dave@example.com' })).statusCode).toBe(403);
  });
});

describe('demo federation stand-in', () => {
  it('turns role session credentials into a sign-in token and a page naming the role, account and duration', async () => {
    const iam = new IAMClient(awsClientConfig('iam', motoClientOptions(env.moto.url)));
    const created = await iam.send(
      new CreateRoleCommand({
        RoleName: 'demo-console',
        AssumeRolePolicyDocument: JSON.stringify({
          Version: '2012-10-17',
          Statement: [{ Effect: 'Allow', Principal: { AWS: '*' }, Action: 'sts:AssumeRole' }],
        }),
      }),
    );
    iam.destroy();
    const sts = new STSClient(awsClientConfig('sts', motoClientOptions(env.moto.url)));
    const session = await assumeRole(sts, {
      roleArn: created.Role?.Arn ?? '',
      sessionName: 'alice@example.com',
    });
    sts.destroy();
    const sessionJson = JSON.stringify({
      sessionId: session.accessKeyId,
      sessionKey: session.secretAccessKey,
      sessionToken: session.sessionToken,
    });
    const tokenResponse = await app.inject({
      method: 'GET',
      url: `/demo/federation?Action=getSigninToken&Session=${encodeURIComponent(sessionJson)}`,
    });
    expect(tokenResponse.statusCode).toBe(200);
    const { SigninToken } = tokenResponse.json<{ SigninToken: string }>();
    expect(SigninToken).not.toContain(session.secretAccessKey);

    const page = await app.inject({
      method: 'GET',
      url: `/demo/federation?Action=login&Issuer=rolecall&Destination=${encodeURIComponent('https://us-west-2.console.aws.amazon.com')}&SigninToken=${encodeURIComponent(SigninToken)}`,
    });
    expect(page.statusCode).toBe(200);
    expect(page.body).toContain('<dd id="role">demo-console</dd>');
    expect(page.body).toContain('<dd id="account">123456789012</dd>');
    expect(page.body).toContain('<dd id="session">alice@example.com</dd>');
    expect(page.body).toMatch(/<dd id="duration">60 minutes, until /);
    expect(page.body).toContain('https://us-west-2.console.aws.amazon.com');

    const forged = await app.inject({
      method: 'GET',
      url: `/demo/federation?Action=login&SigninToken=${encodeURIComponent(`${SigninToken.split('.')[0] ?? ''}.AAAA`)}`,
    });
    expect(forged.statusCode).toBe(400);
    const badSession = await app.inject({
      method: 'GET',
      url: '/demo/federation?Action=getSigninToken&Session=%7B%7D',
    });
    expect(badSession.statusCode).toBe(400);
  });

  it('is not served unless demo.federationStandIn is on', async () => {
    const plain = await buildApp({
      config: parseConfig({
        environment: 'test',
        redis: { keyPrefix: 'gw-cfg2:' },
        auth: { jwt: { secret: TEST_JWT_SECRET } },
      }),
      redis,
      nc,
      log: silentLogger(),
    });
    try {
      expect((await plain.inject({ method: 'GET', url: '/demo/federation?Action=login' })).statusCode).toBe(
        404,
      );
    } finally {
      await plain.close();
    }
  });
});
