import { connect } from '@nats-io/transport-node';
import { jetstreamManager } from '@nats-io/jetstream';
import {
  ConditionalCheckFailedException,
  CreateTableCommand,
  DynamoDBClient,
  UpdateItemCommand,
} from '@aws-sdk/client-dynamodb';
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

  // moto checks a condition and writes in two steps, so without the serialising launcher
  // (packages/testing/moto/serve_moto.py) two racing claims were both granted under load.
  it('applies a conditional DynamoDB write atomically under concurrent callers, as DynamoDB does', async () => {
    const dynamo = new DynamoDBClient(awsClientConfig('dynamodb', motoClientOptions(env.moto.url)));
    await dynamo.send(
      new CreateTableCommand({
        TableName: 'atomic',
        BillingMode: 'PAY_PER_REQUEST',
        KeySchema: [{ AttributeName: 'id', KeyType: 'HASH' }],
        AttributeDefinitions: [{ AttributeName: 'id', AttributeType: 'S' }],
      }),
    );
    for (let round = 0; round < 10; round += 1) {
      const outcomes = await Promise.all(
        Array.from({ length: 20 }, (_, writer) =>
          dynamo
            .send(
              new UpdateItemCommand({
                TableName: 'atomic',
                Key: { id: { S: `claim-${round}` } },
                UpdateExpression: 'SET claimedBy = :writer',
                ConditionExpression: 'attribute_not_exists(id) OR attribute_not_exists(claimedBy)',
                ExpressionAttributeValues: { ':writer': { N: String(writer) } },
              }),
            )
            .then(
              () => 'won',
              (error: unknown) => {
                if (error instanceof ConditionalCheckFailedException) return 'lost';
                throw error;
              },
            ),
        ),
      );
      expect(outcomes.filter((o) => o === 'won')).toHaveLength(1);
    }
    dynamo.destroy();
  });
});
