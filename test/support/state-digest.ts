import { createHash } from 'node:crypto';
import { ListTablesCommand, ScanCommand } from '@aws-sdk/client-dynamodb';
import { createRedis } from '@rolecall/shared/redis';
import { motoDynamo } from './aws.js';
import type { Stack } from './stack.js';

const sha = (text: string) => createHash('sha256').update(text).digest('hex');

/** JSON with every object's keys sorted, so one item always reads the same. */
const canonical = (value: unknown): string =>
  JSON.stringify(value, (_key, inner: unknown) =>
    inner !== null && typeof inner === 'object' && !Array.isArray(inner)
      ? Object.fromEntries(Object.entries(inner).sort(([a], [b]) => a.localeCompare(b)))
      : inner,
  );

/**
 * Everything a call could have changed, read straight from the stores: every Redis key with its
 * serialized value (DUMP), every item of every DynamoDB table, and the request list as an admin sees
 * it through the API. Compared before and after a run of refused calls: equal means nothing changed.
 * `ignoreRedisKeys` leaves out keys a refusal is meant to write (a rate limit counting failed attempts).
 */
export async function readState(
  stack: Stack,
  options: { ignoreRedisKeys?: RegExp } = {},
): Promise<Record<string, string>> {
  const state: Record<string, string> = {};
  const redis = createRedis(stack.env.redis.url, 'state-digest');
  try {
    let cursor = '0';
    const keys: string[] = [];
    do {
      const [next, batch] = await redis.scan(cursor, 'COUNT', 1000);
      cursor = next;
      keys.push(...batch);
    } while (cursor !== '0');
    for (const key of keys.filter((k) => !options.ignoreRedisKeys?.test(k)).sort()) {
      const dumped = await redis.dumpBuffer(key);
      state[`redis ${key}`] = dumped ? sha(dumped.toString('base64')) : 'gone';
    }
  } finally {
    redis.disconnect();
  }
  const dynamo = motoDynamo(stack.env.moto.url);
  try {
    const tables = (await dynamo.send(new ListTablesCommand({}))).TableNames ?? [];
    for (const table of tables) {
      const items: string[] = [];
      let start: Record<string, unknown> | undefined;
      do {
        const page = await dynamo.send(
          new ScanCommand({ TableName: table, ...(start ? { ExclusiveStartKey: start as never } : {}) }),
        );
        items.push(...(page.Items ?? []).map(canonical));
        start = page.LastEvaluatedKey;
      } while (start);
      state[`dynamodb ${table}`] = `${items.length} items ${sha(items.sort().join('\n'))}`;
    }
  } finally {
    dynamo.destroy();
  }
  const list = await stack.api('/api/v2/requests', { method: 'POST', body: {} });
  state['request list'] = `${list.status} ${sha(await list.text())}`;
  return state;
}
