import { DescribeTableCommand, type DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { describe, expect, it } from 'vitest';
import { capturedLogger } from '../log/index.js';
import { TABLE_OWNERS, tableDefinitions, tableNames, tablesOwnedBy, whenTablesExist } from './storage.js';

const notFound = () =>
  Object.assign(new Error('Requested resource not found'), { name: 'ResourceNotFoundException' });

/** A DynamoDB client that answers DescribeTable from a list of replies per table, the last one repeated. */
function fakeDynamo(replies: Record<string, (string | Error)[]>) {
  const calls: string[] = [];
  const client = {
    send(command: unknown) {
      if (!(command instanceof DescribeTableCommand)) throw new Error('unexpected command');
      const name = command.input.TableName ?? '';
      calls.push(name);
      const queue = replies[name] ?? [notFound()];
      const reply = queue.length > 1 ? queue.shift() : queue[0];
      return reply instanceof Error
        ? Promise.reject(reply)
        : Promise.resolve({ Table: { TableName: name, TableStatus: reply } });
    },
  };
  return { dynamo: client as unknown as DynamoDBClient, calls };
}

const captureLog = () => {
  const { log, lines } = capturedLogger({ level: 'debug' });
  return { log, lines: lines as unknown as { msg: string; level: number }[] };
};

describe('table ownership', () => {
  it('gives every table exactly one owner, and the owners together every table', () => {
    const owned = [
      ...tablesOwnedBy('cache'),
      ...tablesOwnedBy('broker'),
      ...tablesOwnedBy('gateway'),
      ...tablesOwnedBy('requests'),
    ];
    expect(owned.sort()).toEqual(Object.keys(tableNames('')).sort());
  });

  it('has the cache create the crawl tables, the broker audit, the gateway dynamic config and the requests service its table', () => {
    expect(tablesOwnedBy('cache')).toEqual(['roles', 'resources', 'crawlStatus', 'accounts']);
    expect(tablesOwnedBy('broker')).toEqual(['audit']);
    expect(tablesOwnedBy('gateway')).toEqual(['dynamicConfig']);
    expect(TABLE_OWNERS.dynamicConfig).toBe('gateway');
    expect(tablesOwnedBy('requests')).toEqual(['requests']);
  });

  it('defines only the tables asked for, with the prefix', () => {
    expect(tableDefinitions('t_', ['audit']).map((d) => d.TableName)).toEqual(['t_audit']);
  });
});

describe('whenTablesExist', () => {
  it('waits for a table its owner has not created yet, saying who creates it, then goes on', async () => {
    const { dynamo, calls } = fakeDynamo({
      p_iam_roles: [notFound(), 'CREATING', 'ACTIVE'],
      p_dynamic_config: ['ACTIVE'],
    });
    const { log, lines } = captureLog();
    await whenTablesExist(dynamo, 'p_', ['roles', 'dynamicConfig'], { log, retryMs: 1 });
    expect(calls).toEqual(['p_iam_roles', 'p_iam_roles', 'p_iam_roles', 'p_dynamic_config']);
    expect(lines[0]?.msg).toBe(
      'table p_iam_roles does not exist yet; waiting for the cache to create it at its start',
    );
    expect(lines.at(-1)?.msg).toBe('table p_iam_roles exists now; going on');
  });

  it('returns without a word when the tables are there', async () => {
    const { dynamo } = fakeDynamo({ p_iam_roles: ['ACTIVE'] });
    const { log, lines } = captureLog();
    await whenTablesExist(dynamo, 'p_', ['roles'], { log, retryMs: 1 });
    expect(lines).toEqual([]);
  });

  it('throws a failure other than a missing table instead of waiting', async () => {
    const denied = Object.assign(new Error('not allowed'), { name: 'AccessDeniedException' });
    const { dynamo } = fakeDynamo({ p_iam_roles: [denied] });
    const { log } = captureLog();
    await expect(whenTablesExist(dynamo, 'p_', ['roles'], { log, retryMs: 1 })).rejects.toMatchObject({
      context: expect.objectContaining({ table: 'p_iam_roles' }) as unknown,
    });
  });

  it('stops waiting when its signal is aborted', async () => {
    const { dynamo } = fakeDynamo({});
    const { log } = captureLog();
    const controller = new AbortController();
    const waiting = whenTablesExist(dynamo, 'p_', ['roles'], { log, retryMs: 5, signal: controller.signal });
    controller.abort(new Error('stopping'));
    await expect(waiting).rejects.toMatchObject({ name: 'AbortError' });
  });
});
