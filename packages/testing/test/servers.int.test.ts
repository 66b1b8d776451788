import { connect } from '@nats-io/transport-node';
import { jetstreamManager } from '@nats-io/jetstream';
import { GetCallerIdentityCommand, STSClient } from '@aws-sdk/client-sts';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { awsClientConfig } from '@rolecall/shared/aws';
import { ensureAllStreams, STREAMS } from '@rolecall/shared/nats';
import { createRedis } from '@rolecall/shared/redis';
import { motoClientOptions, startTestEnvironment, type TestEnvironment } from '@rolecall/testing';

describe('test environment', () => {
  let env: TestEnvironment;
  beforeAll(async () => {
    env = await startTestEnvironment();
  });
  afterAll(async () => {
    await env?.stop();
  });

  it('creates every JetStream stream on a real nats-server, idempotently', async () => {
    const nc = await connect({ servers: env.nats.url });
    const jsm = await jetstreamManager(nc);
    await ensureAllStreams(jsm);
    await ensureAllStreams(jsm);
    const names = (await jsm.streams.names().next()).sort();
    expect(names).toEqual(
      Object.values(STREAMS)
        .map((s) => s.name)
        .sort(),
    );
    await nc.close();
  });

  it('talks to a real redis-server', async () => {
    const redis = createRedis(env.redis.url, 'test');
    await redis.set('k', 'v');
    expect(await redis.get('k')).toBe('v');
    redis.disconnect();
  });

  it('talks to moto as the default account', async () => {
    const sts = new STSClient(awsClientConfig('sts', motoClientOptions(env.moto.url)));
    const identity = await sts.send(new GetCallerIdentityCommand({}));
    expect(identity.Account).toBe('123456789012');
  });
});
