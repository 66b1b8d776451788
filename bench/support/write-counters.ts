/**
 * What a benchmark counts of the writes a service makes, without touching the service's code: a proxy in
 * front of moto that reads each DynamoDB request (operation, the tables it names, how many items it
 * writes to each), and Redis's own INFO commandstats.
 */
import type { Redis } from '@rolecall/shared/redis';
import { startCountingProxy } from '@rolecall/testing';

const DYNAMO_WRITES = new Set([
  'PutItem',
  'UpdateItem',
  'DeleteItem',
  'BatchWriteItem',
  'TransactWriteItems',
]);

/** Write requests since the last `take`: how many, and how many of their item writes hit each table. */
export interface DynamoWrites {
  requests: number;
  byOperation: Record<string, number>;
  itemsByTable: Record<string, number>;
}

export interface DynamoWriteCounter {
  url: string;
  /** The writes counted since the previous call; starts counting anew. */
  take(): DynamoWrites;
  close(): Promise<void>;
}

interface WriteBody {
  TableName?: string;
  RequestItems?: Record<string, unknown[]>;
  TransactItems?: Record<string, { TableName?: string }>[];
}

function itemsWritten(operation: string, body: WriteBody): [string, number][] {
  if (operation === 'BatchWriteItem') {
    return Object.entries(body.RequestItems ?? {}).map(([table, requests]) => [table, requests.length]);
  }
  if (operation === 'TransactWriteItems') {
    const counts = new Map<string, number>();
    for (const action of body.TransactItems ?? []) {
      for (const [kind, op] of Object.entries(action)) {
        if (kind !== 'ConditionCheck' && op.TableName)
          counts.set(op.TableName, (counts.get(op.TableName) ?? 0) + 1);
      }
    }
    return [...counts];
  }
  return body.TableName ? [[body.TableName, 1]] : [];
}

/** A proxy to `targetUrl` counting DynamoDB writes (the shared counting proxy, reading each request). */
export async function startDynamoWriteCounter(targetUrl: string): Promise<DynamoWriteCounter> {
  let counted: DynamoWrites = { requests: 0, byOperation: {}, itemsByTable: {} };
  const proxy = await startCountingProxy(targetUrl, {
    inspect({ action }, body) {
      // DynamoDB's JSON operations only: the proxy names S3's REST calls "PUT object" and the like.
      if (!DYNAMO_WRITES.has(action) || body.length === 0 || body[0] !== 0x7b) return;
      counted.requests += 1;
      counted.byOperation[action] = (counted.byOperation[action] ?? 0) + 1;
      for (const [table, items] of itemsWritten(action, JSON.parse(body.toString()) as WriteBody)) {
        counted.itemsByTable[table] = (counted.itemsByTable[table] ?? 0) + items;
      }
    },
  });
  return {
    url: proxy.url,
    take() {
      const taken = counted;
      counted = { requests: 0, byOperation: {}, itemsByTable: {} };
      return taken;
    },
    close: () => proxy.close(),
  };
}

/** Commands that change data (Lua scripts' own calls are counted under these too, not only `eval`). */
const REDIS_WRITES = [
  'set',
  'setex',
  'psetex',
  'getset',
  'del',
  'unlink',
  'hset',
  'hmset',
  'hsetnx',
  'hdel',
  'hincrby',
  'zadd',
  'zrem',
  'zincrby',
  'sadd',
  'srem',
  'incr',
  'incrby',
  'decr',
  'expire',
  'pexpire',
  'rename',
  'lpush',
  'rpush',
];

/** Calls per command from INFO commandstats. */
export async function redisCommandCalls(redis: Redis): Promise<Map<string, number>> {
  const info = await redis.info('commandstats');
  const calls = new Map<string, number>();
  for (const match of info.matchAll(/^cmdstat_([^:]+):calls=(\d+)/gm)) calls.set(match[1]!, Number(match[2]));
  return calls;
}

/** Data-changing commands between two `redisCommandCalls` readings. */
export function redisWritesBetween(before: Map<string, number>, after: Map<string, number>): number {
  return REDIS_WRITES.reduce(
    (sum, command) => sum + (after.get(command) ?? 0) - (before.get(command) ?? 0),
    0,
  );
}
