import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient, type QueryCommandInput } from '@aws-sdk/lib-dynamodb';
import { describe, expect, it } from 'vitest';
import { createDynamoAuditStore } from './dynamo-audit-store.js';

type Key = Record<string, unknown>;
interface Answer {
  items: string[];
  lastKey?: Key;
}

/**
 * A document client answering each Query from `answers` in turn, without any network; it records what
 * every page asked for, so the SDK's real paginator runs against it.
 */
function fakeDynamo(answers: Answer[]) {
  const client = new DynamoDBClient({
    region: 'us-east-1',
    credentials: { accessKeyId: 'a', secretAccessKey: 's' },
  });
  const doc = DynamoDBDocumentClient.from(client);
  const asked: { limit: number | undefined; startKey: Key | undefined }[] = [];
  doc.middlewareStack.add(
    () => async (args) => {
      const input = args.input as QueryCommandInput;
      asked.push({ limit: input.Limit, startKey: input.ExclusiveStartKey });
      const answer = answers.shift() ?? { items: [] };
      return Promise.resolve({
        output: {
          $metadata: {},
          Items: answer.items.map((id) => ({ id, at: '2026-12-01T00:00:00.000Z' })),
          ...(answer.lastKey ? { LastEvaluatedKey: answer.lastKey } : {}),
        },
        response: {},
      });
    },
    { step: 'initialize' },
  );
  return { doc, asked };
}

const k1 = { id: 'e2', atId: '2026-12-01T00:00:02Z#e2', user: 'dave' };
const k2 = { id: 'e3', atId: '2026-12-01T00:00:01Z#e3', user: 'dave' };

describe('the audit store query', () => {
  it('asks each page only for the events still missing and resumes the cursor after the last one read', async () => {
    // The role filter drops items after DynamoDB counts them, so the first page brings one of two.
    const { doc, asked } = fakeDynamo([
      { items: ['e1'], lastKey: k1 },
      { items: ['e3'], lastKey: k2 },
      { items: ['e4'] },
    ]);
    const store = createDynamoAuditStore({ doc, tableName: 'audit' });

    const first = await store.query({ user: 'dave', role: 'arn:aws:iam::1:role/r', limit: 2 });
    expect(first.items.map((e) => e.id)).toEqual(['e1', 'e3']);
    expect(asked).toEqual([
      { limit: 2, startKey: undefined },
      { limit: 1, startKey: k1 },
    ]);
    expect(first.nextCursor).not.toBeNull();

    const second = await store.query({
      user: 'dave',
      role: 'arn:aws:iam::1:role/r',
      limit: 2,
      cursor: first.nextCursor!,
    });
    expect(asked[2]).toEqual({ limit: 2, startKey: k2 });
    expect(second).toEqual({ items: [expect.objectContaining({ id: 'e4' })], nextCursor: null });
  });
});
