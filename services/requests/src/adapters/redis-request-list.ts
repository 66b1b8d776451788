import { RequestStatuses, type ExtendedRequestModel } from '@rolecall/shared/contracts';
import { AppError } from '@rolecall/shared/errors';
import { accountOfArn } from '@rolecall/shared/iam';
import type { Logger } from '@rolecall/shared/log';
import type { Redis, RedisKeys } from '@rolecall/shared/redis';
import type { RequestListRow, RequestListQuery, RequestListPage, RequestList } from '../domain/ports.js';
export type { RequestListRow, RequestListQuery, RequestListPage, RequestList };

/** Members `<request time ISO>#<id>`: lex order is time order, and the id makes each unique. */
const memberOf = (request: Pick<ExtendedRequestModel, 'timestamp' | 'id'>) =>
  `${new Date(request.timestamp).toISOString()}#${request.id}`;
const idOfMember = (member: string) => member.slice(member.indexOf('#') + 1);
const epochSeconds = (iso: string) => Math.floor(Date.parse(iso) / 1000);

export function toListRow(request: ExtendedRequestModel): RequestListRow {
  const arn = request.principal.principal_arn;
  return {
    request_id: request.id,
    arn,
    principal: request.principal,
    status: request.request_status,
    ...(request.justification === undefined ? {} : { justification: request.justification }),
    request_time: epochSeconds(request.timestamp),
    last_updated: epochSeconds(request.last_updated),
    username: request.requester_email,
    version: request.version,
    cross_account: request.cross_account,
    account_id: accountOfArn(arn),
  };
}

/**
 * KEYS: rows, idx:all, idx:requester, idx:account, then one idx:status per status (RequestStatuses).
 * ARGV: id, row JSON, version, member, the 1-based position of the row's status among the statuses.
 * Writes only over an older version, and moves the member out of every other status index.
 */
const UPSERT = `
local old = redis.call('HGET', KEYS[1], ARGV[1])
if old then
  local ok, decoded = pcall(cjson.decode, old)
  if ok and type(decoded) == 'table' and tonumber(decoded.version) and tonumber(decoded.version) >= tonumber(ARGV[3]) then
    return 0
  end
end
redis.call('HSET', KEYS[1], ARGV[1], ARGV[2])
redis.call('ZADD', KEYS[2], 0, ARGV[4])
redis.call('ZADD', KEYS[3], 0, ARGV[4])
redis.call('ZADD', KEYS[4], 0, ARGV[4])
local statusKey = 4 + tonumber(ARGV[5])
for i = 5, #KEYS do
  if i == statusKey then redis.call('ZADD', KEYS[i], 0, ARGV[4]) else redis.call('ZREM', KEYS[i], ARGV[4]) end
end
return 1
`;

/** Members read from an index per round while filtering. */
const SCAN_BATCH = 200;
const REBUILD_LOCK_MS = 5 * 60_000;

function decodeCursor(cursor: string): string {
  const member = Buffer.from(cursor, 'base64url').toString('utf8');
  if (!/^\d{4}-\d\d-\d\dT[^#]+#.+$/.test(member)) {
    throw new AppError('INVALID_CURSOR', 'cursor is not one this list gave; start again without it');
  }
  return member;
}

/**
 * The list in Redis (keys from `redisKeys`: `requests:rows`, `requests:idx:*`): a hash of rows and
 * sorted sets of `<time>#<id>` members, all scores 0 so they sort by member, one over every request and
 * one per status, requester and account. A query walks the most selective index that applies backwards
 * from the cursor, checking the other filters on each row, so a page costs what it reads.
 */
export function createRedisRequestList(options: {
  redis: Redis;
  keys: RedisKeys;
  log: Logger;
  /** Names this process as the rebuild lock's holder. */
  owner: string;
}): RequestList {
  const { redis, keys, log, owner } = options;
  const statusKeys = RequestStatuses.map((status) => keys.requestIndex('status', status));

  const upsert = async (request: ExtendedRequestModel): Promise<boolean> => {
    const row = toListRow(request);
    const written = await redis.eval(
      UPSERT,
      4 + statusKeys.length,
      keys.requestRows,
      keys.requestIndex('all'),
      keys.requestIndex('requester', row.username),
      keys.requestIndex('account', row.account_id),
      ...statusKeys,
      row.request_id,
      JSON.stringify(row),
      String(row.version),
      memberOf(request),
      String(RequestStatuses.indexOf(row.status) + 1),
    );
    return written === 1;
  };

  const readRows = async (members: string[]): Promise<(RequestListRow | undefined)[]> => {
    if (members.length === 0) return [];
    const raw = await redis.hmget(keys.requestRows, ...members.map(idOfMember));
    return raw.map((value, i) => {
      if (value === null) return undefined;
      try {
        return JSON.parse(value) as RequestListRow;
      } catch {
        log.warn({ key: keys.requestRows, member: members[i] }, 'request list row is not JSON; skipped');
        return undefined;
      }
    });
  };

  return {
    upsert,

    async list(query) {
      const index = query.requester
        ? keys.requestIndex('requester', query.requester)
        : query.accountId
          ? keys.requestIndex('account', query.accountId)
          : query.status
            ? keys.requestIndex('status', query.status)
            : keys.requestIndex('all');
      const needle = query.principalArnContains?.toLowerCase();
      const matches = (row: RequestListRow) =>
        (query.status === undefined || row.status === query.status) &&
        (query.requester === undefined || row.username === query.requester) &&
        (query.accountId === undefined || row.account_id === query.accountId) &&
        (needle === undefined || row.arn.toLowerCase().includes(needle));

      const items: RequestListRow[] = [];
      let from = query.cursor ? `(${decodeCursor(query.cursor)}` : '+';
      for (;;) {
        const members = await redis.zrange(index, from, '-', 'BYLEX', 'REV', 'LIMIT', 0, SCAN_BATCH);
        const rows = await readRows(members);
        for (let i = 0; i < members.length; i += 1) {
          const row = rows[i];
          if (!row || !matches(row)) continue;
          items.push(row);
          if (items.length === query.limit) {
            const last = members[i] as string;
            const more = i < members.length - 1 || members.length === SCAN_BATCH;
            return { items, nextCursor: more ? Buffer.from(last).toString('base64url') : null };
          }
        }
        if (members.length < SCAN_BATCH) return { items, nextCursor: null };
        from = `(${members[members.length - 1] as string}`;
      }
    },

    async rebuildIfEmpty(all) {
      if ((await redis.exists(keys.requestListLoaded)) === 1) return false;
      const locked = await redis.set(keys.requestListLock, owner, 'PX', REBUILD_LOCK_MS, 'NX');
      if (locked !== 'OK') return false;
      try {
        // Checked again under the lock: another process may have finished a rebuild just before.
        if ((await redis.exists(keys.requestListLoaded)) === 1) return false;
        let count = 0;
        for await (const page of all()) {
          for (const request of page) await upsert(request);
          count += page.length;
        }
        await redis.set(keys.requestListLoaded, new Date().toISOString());
        log.info({ requests: count }, 'request list rebuilt from DynamoDB');
        return true;
      } finally {
        // Only our own lock: one that ran out and was taken by another process is theirs.
        await redis.eval(
          "if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end return 0",
          1,
          keys.requestListLock,
          owner,
        );
      }
    },
  };
}
