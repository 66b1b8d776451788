import { startTestEnvironment, type TestEnvironment } from '@rolecall/testing';
import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import type { ChangeModel, ExtendedRequestModel, PolicyRequestHistoryItem } from '@rolecall/shared/contracts';
import { AppError } from '@rolecall/shared/errors';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createDynamoRequestStore, type RequestStore } from '../src/adapters/dynamo-request-store.js';
import { createDynamoExpiryClaims } from '../src/adapters/expiry-claims.js';
import { aRequest, nextVersion, requestsTable } from './harness.js';

let env: TestEnvironment;
let doc: DynamoDBDocumentClient;
let tableName: string;
let store: RequestStore;

beforeAll(async () => {
  env = await startTestEnvironment();
  ({ doc, tableName } = await requestsTable(env));
  store = createDynamoRequestStore({ doc, tableName });
});

afterAll(async () => {
  doc?.destroy();
  await env?.stop();
});

const codeOf = (promise: Promise<unknown>) =>
  promise.then(
    () => 'resolved',
    (error: unknown) => (error instanceof AppError ? error.code : String(error)),
  );

describe('saving a request', () => {
  it('reads back what it created, and refuses a second request with the same id', async () => {
    const request = aRequest();
    await store.create(request);
    expect(await store.get(request.id)).toEqual(request);
    expect(await codeOf(store.create({ ...request, justification: 'again' }))).toBe('CONFLICT');
    expect((await store.get(request.id))?.justification).toBe(request.justification);
  });

  it('refuses an update over a stale version, names it, and writes nothing', async () => {
    const request = aRequest();
    await store.create(request);
    const second = nextVersion(request, { justification: 'edited once' });
    await store.update(second, 1);

    const stale = store.update(nextVersion(request, { justification: 'edited from a stale copy' }), 1);
    const error = await stale.then(
      () => undefined,
      (caught: unknown) => caught as AppError,
    );
    expect(error?.code).toBe('CONFLICT');
    expect(error?.message).toContain('version 2, not 1');
    expect(error?.context).toMatchObject({ expectedVersion: 1, currentVersion: 2 });
    expect(await store.get(request.id)).toEqual(second);
  });

  it('lets exactly one of 20 concurrent updates of one version win', async () => {
    const request = aRequest();
    await store.create(request);
    const attempts = Array.from({ length: 20 }, (_, i) =>
      nextVersion(request, { justification: `writer ${i}` }),
    );
    const outcomes = await Promise.all(attempts.map((attempt) => codeOf(store.update(attempt, 1))));
    expect(outcomes.filter((o) => o === 'resolved')).toHaveLength(1);
    expect(outcomes.filter((o) => o === 'CONFLICT')).toHaveLength(19);
    const winner = attempts[outcomes.indexOf('resolved')];
    expect(await store.get(request.id)).toEqual(winner);
  });

  it('answers NOT_FOUND for an update of a request that does not exist', async () => {
    expect(await codeOf(store.update(nextVersion(aRequest()), 1))).toBe('NOT_FOUND');
  });
});

describe('listing', () => {
  it('lists by requester and status, newest first, a page at a time', async () => {
    const requester = `lister-${Date.now()}@example.com`;
    const base = Date.parse('2026-03-01T00:00:00Z');
    const made: ExtendedRequestModel[] = [];
    for (let i = 0; i < 5; i += 1) {
      const request = aRequest({
        requester_email: requester,
        timestamp: new Date(base + i * 60_000).toISOString(),
        request_status: i % 2 === 0 ? 'pending' : 'rejected',
      });
      await store.create(request);
      made.push(request);
    }
    const newestFirst = [...made].reverse().map((r) => r.id);

    const ids: string[] = [];
    let cursor: string | undefined;
    let pages = 0;
    do {
      const page = await store.list({ requester, limit: 2, cursor });
      ids.push(...page.items.map((r) => r.id));
      cursor = page.nextCursor ?? undefined;
      pages += 1;
    } while (cursor);
    expect(ids).toEqual(newestFirst);
    expect(pages).toBe(3);

    const pending = await store.list({ requester, status: 'pending', limit: 10 });
    expect(pending.items.map((r) => r.id)).toEqual(
      newestFirst.filter((id) => made.find((r) => r.id === id)?.request_status === 'pending'),
    );
    const rejected = await store.list({ status: 'rejected', limit: 100 });
    expect(rejected.items.map((r) => r.id)).toEqual(expect.arrayContaining([made[1]?.id, made[3]?.id]));
    expect(rejected.items.every((r) => r.request_status === 'rejected')).toBe(true);
  });

  it('refuses a cursor of another query', async () => {
    const requester = `cursor-${Date.now()}@example.com`;
    await store.create(aRequest({ requester_email: requester }));
    await store.create(aRequest({ requester_email: requester }));
    const page = await store.list({ requester, limit: 1 });
    expect(page.nextCursor).not.toBeNull();
    expect(await codeOf(store.list({ status: 'pending', limit: 1, cursor: page.nextCursor ?? '' }))).toBe(
      'INVALID_CURSOR',
    );
  });

  it('finds the requests left applying, to resume them', async () => {
    const applying = aRequest({ request_status: 'applying' });
    const approved = aRequest({ request_status: 'approved' });
    await store.create(applying);
    await store.create(approved);
    const unfinished = (await store.listUnfinished()).map((r) => r.id);
    expect(unfinished).toContain(applying.id);
    expect(unfinished).not.toContain(approved.id);

    await store.update(nextVersion(applying, { request_status: 'approved' }), 1);
    expect((await store.listUnfinished()).map((r) => r.id)).not.toContain(applying.id);
  });
});

describe('due expiries', () => {
  const now = new Date('2030-06-01T12:00:00Z');
  const change = (id: string, status: ChangeModel['status'], expiresAt?: string): ChangeModel => ({
    change_type: 'managed_policy',
    principal: { principal_type: 'AwsResource', principal_arn: 'arn:aws:iam::111111111111:role/app' },
    id,
    arn: 'arn:aws:iam::aws:policy/ReadOnlyAccess',
    action: 'attach',
    status,
    ...(expiresAt ? { expires_at: expiresAt } : {}),
  });

  it('finds applied changes whose expiry has come, and drops them once expired', async () => {
    const request = aRequest({
      request_status: 'approved',
      changes: [
        change('due', 'applied', '2030-06-01T11:59:00Z'),
        change('at-now', 'applied', now.toISOString()),
        change('later', 'applied', '2030-06-01T12:30:00Z'),
        change('never', 'applied'),
        change('not-applied', 'not_applied', '2030-06-01T11:00:00Z'),
      ],
    });
    await store.create(request);
    const mine = async (at: Date) =>
      (await store.dueExpiries(at))
        .filter((d) => d.request.id === request.id)
        .map((d) => d.change.id)
        .sort();
    expect(await mine(now)).toEqual(['at-now', 'due']);

    const expired = nextVersion(request, {
      changes: {
        changes: request.changes.changes.map((c) =>
          c.id === 'due' || c.id === 'at-now' ? { ...c, status: 'expired' as const } : c,
        ),
      },
    });
    await store.update(expired, 1);
    expect(await mine(now)).toEqual([]);
    expect(await mine(new Date('2030-06-01T13:00:00Z'))).toEqual(['later']);
  });
});

describe('history', () => {
  const item = (
    requestId: string,
    version: number,
    type: PolicyRequestHistoryItem['type'],
    changeId?: string,
  ) =>
    ({
      requestId,
      kind: type === 'created' ? 'created' : type === 'change_applied' ? 'applied' : 'approved',
      type,
      actor: 'admin@example.com',
      at: new Date(Date.UTC(2026, 0, 1, 0, version)).toISOString(),
      version,
      status: type === 'created' ? 'pending' : 'approved',
      principalArn: 'arn:aws:iam::111111111111:role/app',
      ...(changeId ? { changeId } : {}),
    }) as PolicyRequestHistoryItem;

  it('keeps each step once, in order, however often it is appended', async () => {
    const id = aRequest().id;
    const steps = [item(id, 1, 'created'), item(id, 2, 'approved'), item(id, 3, 'change_applied', `${id}0`)];
    await store.appendHistory([steps[2]!, steps[0]!]);
    await store.appendHistory(steps);
    await store.appendHistory([{ ...steps[1]!, actor: 'someone-else@example.com' }]);
    expect(await store.history(id)).toEqual(steps);
  });

  it('saves a step and its history in one write: a refused save writes neither', async () => {
    const request = aRequest();
    const created = item(request.id, 1, 'created');
    await store.create(request, [created]);
    const approved = item(request.id, 2, 'approved');
    await store.update(nextVersion(request, { justification: 'approved' }), 1, [approved]);
    expect(await store.history(request.id)).toEqual([created, approved]);

    const stale = item(request.id, 2, 'rejected');
    const refused = store.update(nextVersion(request, { justification: 'stale' }), 1, [stale]);
    expect(await codeOf(refused)).toBe('CONFLICT');
    expect(await store.history(request.id)).toEqual([created, approved]);
    expect((await store.get(request.id))?.justification).toBe('approved');
  });
});

describe('expiry claims', () => {
  it('gives an expiry to exactly one of two processes, and to nobody once done', async () => {
    const key = { requestId: aRequest().id, changeId: 'c0' };
    const at = new Date('2030-01-01T00:00:00Z');
    const claims = ['host-a', 'host-b'].map((owner) =>
      createDynamoExpiryClaims({ doc, tableName, owner, now: () => at }),
    );
    const outcomes = await Promise.all(claims.map((c) => c.claim(key, 60_000)));
    // A sorted copy: the winner is found by its place in `outcomes`, which must stay in process order.
    expect([...outcomes].sort()).toEqual(['claimed', 'held']);
    const winner = claims[outcomes.indexOf('claimed')]!;
    const loser = claims[1 - outcomes.indexOf('claimed')]!;
    expect(await loser.complete(key)).toBe(false);
    expect(await winner.complete(key)).toBe(true);
    expect(await loser.claim(key, 60_000)).toBe('done');
    expect(await winner.claim(key, 60_000)).toBe('done');
  });

  it('hands an expiry on when its holder lets its lease run out or releases it', async () => {
    const key = { requestId: aRequest().id, changeId: 'c1' };
    let now = new Date('2030-01-01T00:00:00Z');
    const a = createDynamoExpiryClaims({ doc, tableName, owner: 'host-a', now: () => now });
    const b = createDynamoExpiryClaims({ doc, tableName, owner: 'host-b', now: () => now });
    expect(await a.claim(key, 60_000)).toBe('claimed');
    expect(await b.claim(key, 60_000)).toBe('held');

    now = new Date(now.getTime() + 61_000);
    expect(await b.claim(key, 60_000)).toBe('claimed');
    // a's lease is over and b holds it: a can neither renew nor complete it.
    expect(await a.renew(key, 60_000)).toBe(false);
    expect(await a.complete(key)).toBe(false);

    await b.release(key);
    expect(await a.claim(key, 60_000)).toBe('claimed');
    expect(await a.renew(key, 60_000)).toBe(true);
  });

  it('lets exactly one of 20 concurrent claimers take an expiry', async () => {
    const key = { requestId: aRequest().id, changeId: 'c2' };
    const outcomes = await Promise.all(
      Array.from({ length: 20 }, (_, i) =>
        createDynamoExpiryClaims({ doc, tableName, owner: `host-${i}` }).claim(key, 60_000),
      ),
    );
    expect(outcomes.filter((o) => o === 'claimed')).toHaveLength(1);
  });
});
