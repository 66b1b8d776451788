import type { NatsConnection } from '@nats-io/transport-node';
import { DescribeTableCommand, type DynamoDBClient } from '@aws-sdk/client-dynamodb';
import type { Redis } from '@rolecall/shared/redis';
import type { ReadinessProbe } from '../domain/ports.js';

export function createNatsProbe(nc: NatsConnection): ReadinessProbe {
  return {
    name: 'nats',
    async check() {
      if (nc.isClosed()) throw new Error('connection closed');
      await nc.flush();
    },
  };
}

export function createRedisProbe(redis: Redis): ReadinessProbe {
  return {
    name: 'redis',
    async check() {
      await redis.ping();
    },
  };
}

/** DescribeTable on the roles table: proves both reachability and that the tables exist. */
export function createDynamoProbe(dynamo: DynamoDBClient, tableName: string): ReadinessProbe {
  return {
    name: 'dynamodb',
    async check() {
      await dynamo.send(new DescribeTableCommand({ TableName: tableName }));
    },
  };
}
