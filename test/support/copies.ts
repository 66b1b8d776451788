import { jetstreamManager } from '@nats-io/jetstream';
import type { NatsConnection } from '@nats-io/transport-node';
import { paginateListRoles } from '@aws-sdk/client-iam';
import { DynamoDBDocumentClient, paginateScan } from '@aws-sdk/lib-dynamodb';
import {
  cacheEvents,
  CrawlCompleted,
  CrawlStarted,
  CredentialsAudited,
  ResourceChanged,
  type CrawlCompletion,
  type CrawlStart,
  type CredentialAuditEvent,
  type ResourceChange,
} from '@rolecall/shared/contracts';
import { decode, STREAMS } from '@rolecall/shared/nats';
import { expect } from 'vitest';
import type { DemoAccount } from '@rolecall/testing';
import { iamIn, motoDynamo } from './aws.js';
import type { StatusRow } from './crawls.js';
import type { ServiceProcess, Stack } from './stack.js';

/**
 * Helpers of the scaling tests: several copies of each service, and what they did counted from what they
 * stored on the streams (deduplicated there, so a count is what every subscriber saw), never from a mock.
 */

export interface Sourced<T> {
  data: T;
  /** The envelope's `source`: the instance (`<service>-<host>-<pid>`) that published it. */
  source: string;
}

/** Whether `subject` matches a NATS subject filter (`*` one token, `>` the rest). */
function matchesFilter(subject: string, filter: string): boolean {
  const tokens = subject.split('.');
  const wanted = filter.split('.');
  for (let i = 0; i < wanted.length; i += 1) {
    if (wanted[i] === '>') return tokens.length > i;
    if (i >= tokens.length || (wanted[i] !== '*' && wanted[i] !== tokens[i])) return false;
  }
  return tokens.length === wanted.length;
}

/**
 * Every message of `stream` on `filter` stored so far, oldest first, read one sequence at a time from the
 * stream's leader. No consumer is made for it: on a cluster that has just lost a node, a consumer's
 * creation can hang on placement while the stream itself answers.
 */
export async function readStream(nc: NatsConnection, stream: string, filter: string) {
  const jsm = await jetstreamManager(nc, { timeout: 30_000 });
  const { state } = await jsm.streams.info(stream);
  const out: { data: Uint8Array; subject: string }[] = [];
  for (let seq = state.first_seq; seq <= state.last_seq && state.messages > 0; seq += 1) {
    // null: a sequence removed since (limits, or acked off a work queue).
    const msg = await jsm.streams.getMessage(stream, { seq });
    if (msg && matchesFilter(msg.subject, filter)) out.push({ data: msg.data, subject: msg.subject });
  }
  return out;
}

/** Every change event on RESOURCE_CHANGES, validated, with the cache copy that published it. */
export async function storedChanges(nc: NatsConnection): Promise<Sourced<ResourceChange>[]> {
  const stream = cacheEvents.resourceChanged.stream.name;
  return (await readStream(nc, stream, 'cache.resource.changed.>')).map((m) => {
    const envelope = ResourceChanged.unwrap(decode(m.data));
    return { data: envelope.data, source: envelope.source };
  });
}

/** Every `issued` credential audit record on the broker's AUDIT stream, with the broker copy that wrote it. */
export async function storedIssuances(nc: NatsConnection): Promise<Sourced<CredentialAuditEvent>[]> {
  return (await readStream(nc, STREAMS.audit.name, 'broker.audit.credentials.issued')).map((m) => {
    const envelope = CredentialsAudited.unwrap(decode(m.data));
    return { data: envelope.data, source: envelope.source };
  });
}

/**
 * The access key ids of the `issued` records in the broker's audit table (where the AUDIT stream's records
 * end up, and where the broker writes directly when JetStream does not take a record), each as often as
 * it is there.
 */
export async function auditedKeyIds(stack: Stack, tablePrefix = 'test_'): Promise<string[]> {
  const doc = DynamoDBDocumentClient.from(motoDynamo(stack.env.moto.url));
  const keys: string[] = [];
  try {
    for await (const page of paginateScan({ client: doc }, { TableName: `${tablePrefix}audit` }))
      for (const item of page.Items ?? [])
        if (item.outcome === 'issued' && typeof item.accessKeyId === 'string') keys.push(item.accessKeyId);
  } finally {
    doc.destroy();
  }
  return keys;
}

/** Every crawl start and completion the crawlers published, as stored on CRAWL_RESULTS. */
export async function storedCrawls(nc: NatsConnection) {
  const starts = (await readStream(nc, STREAMS.crawlResults.name, 'crawler.result.started.>')).map(
    (m): Sourced<CrawlStart> => {
      const envelope = CrawlStarted.unwrap(decode(m.data));
      return { data: envelope.data, source: envelope.source };
    },
  );
  const completions = (await readStream(nc, STREAMS.crawlResults.name, 'crawler.result.completed.>')).map(
    (m): Sourced<CrawlCompletion> => {
      const envelope = CrawlCompleted.unwrap(decode(m.data));
      return { data: envelope.data, source: envelope.source };
    },
  );
  return { starts, completions };
}

/** Counts of `key` over `items`, only those seen more than once: `{}` when nothing was doubled. */
export function doubled<T>(items: readonly T[], key: (item: T) => string): Record<string, number> {
  const counts = new Map<string, number>();
  for (const item of items) counts.set(key(item), (counts.get(key(item)) ?? 0) + 1);
  return Object.fromEntries([...counts].filter(([, n]) => n > 1));
}

/** Which service process an instance name (`<service>-<host>-<pid>`) belongs to. */
export const processOf = (services: readonly ServiceProcess[], source: string) =>
  services.find((s) => source.endsWith(`-${s.child.pid}`));

/** The role ARNs IAM (moto) holds in `accountId`, sorted. */
export async function rolesInAws(stack: Stack, accountId: string): Promise<string[]> {
  const iam = await iamIn(stack.env.moto.url, accountId);
  const arns: string[] = [];
  for await (const page of paginateListRoles({ client: iam }, {}))
    arns.push(...page.Roles!.map((r) => r.Arn!));
  return arns.sort();
}

/** The role ARNs the API lists for `accountId`, every page, sorted. */
export async function rolesInCache(stack: Stack, accountId: string): Promise<string[]> {
  const arns: string[] = [];
  let cursor: string | null = null;
  do {
    const query: string = cursor ? `&cursor=${encodeURIComponent(cursor)}` : '';
    const response = await stack.api(
      `/api/v3/resources?type=iam_role&account=${accountId}&limit=500${query}`,
    );
    if (response.status !== 200)
      throw new Error(`resources answered ${response.status}: ${await response.text()}`);
    const page = (await response.json()) as { data: { arn: string }[]; nextCursor: string | null };
    arns.push(...page.data.map((r) => r.arn));
    cursor = page.nextCursor;
  } while (cursor);
  return arns.sort();
}

/** What a stream of credential requests got back: every answer's status, and how often one was retried. */
export interface CredentialLoad {
  /** Final status of each request (after its retries). */
  finals: number[];
  /** The access key id of every 200 answer: each must have one `issued` audit record. */
  accessKeyIds: string[];
  /** Retryable answers seen (see RETRYABLE), by status. */
  retried: Map<number, number>;
  stop(): Promise<void>;
}

/**
 * Statuses a caller may ask again after: 502 from the proxy (the gateway died with the request), 503 (a
 * dependency down: its code names it) and 504 `TIMEOUT` (the broker died with the request; the error
 * catalogue marks it retryable). Nothing else is retried.
 */
const RETRYABLE = new Set([502, 503, 504]);
const MAX_TRIES = 10;

/**
 * `workers` callers asking for credentials in a loop until `stop()`, each request asked again (at most
 * `maxTries` times, 200 ms apart) while it gets a retryable answer; the final answers are kept.
 */
export function startCredentialLoad(
  url: string,
  body: { requested_role: string },
  who: { user: string; groups: string[] },
  workers = 3,
  /** Tries per request; a NATS cluster electing a new stream leader needs more than a copy's death. */
  maxTries = MAX_TRIES,
): CredentialLoad {
  let running = true;
  const finals: number[] = [];
  const accessKeyIds: string[] = [];
  const retried = new Map<number, number>();
  const ask = () =>
    fetch(`${url}/api/v1/get_credentials`, {
      method: 'POST',
      headers: {
        'x-forwarded-email': who.user,
        'x-forwarded-groups': who.groups.join(','),
        'content-type': 'application/json',
      },
      body: JSON.stringify(body),
    }).then(
      async (r) => {
        const text = await r.text();
        const key = /"AccessKeyId":"([^"]+)"/.exec(text)?.[1];
        if (r.status === 200 && key) accessKeyIds.push(key);
        return r.status;
      },
      // The proxy itself never goes away; a failed fetch is a real failure, kept as status 0.
      () => 0,
    );
  const loop = async () => {
    while (running) {
      let status = await ask();
      for (let tries = 1; RETRYABLE.has(status) && tries < maxTries; tries += 1) {
        retried.set(status, (retried.get(status) ?? 0) + 1);
        await new Promise((r) => setTimeout(r, 200));
        status = await ask();
      }
      finals.push(status);
    }
  };
  const loops = Array.from({ length: workers }, () => loop());
  return {
    finals,
    accessKeyIds,
    retried,
    async stop() {
      running = false;
      await Promise.all(loops);
    },
  };
}

/**
 * The checks of "nothing done twice, nothing lost" on a crawl a copy (or a NATS node) died in: one change
 * event per item and change; the kill came while changes were still being published; every job's status
 * shows a success since the crawl was asked for; every role of every member account is cached; and the
 * roles of the accounts `announcedNew` picks (crawled for the first time) were each announced once.
 */
export async function expectCrawlWhole(
  stack: Stack,
  crawl: {
    changes: Sourced<ResourceChange>[];
    changesAtKill: number;
    rows: StatusRow[];
    requestedAt: string;
    members: DemoAccount[];
    rolesPerAccount: number;
    announcedNew: (account: DemoAccount) => boolean;
  },
): Promise<void> {
  const { changes, rows, requestedAt } = crawl;
  expect(doubled(changes, (c) => `${c.data.arn} ${c.data.change}`)).toEqual({});
  expect(crawl.changesAtKill, 'the kill must come in the middle of the crawl').toBeLessThan(changes.length);
  expect(
    rows.every((r) => (r.lastSuccessAt ?? '') >= requestedAt),
    JSON.stringify(rows),
  ).toBe(true);
  for (const account of crawl.members) {
    const inAws = await rolesInAws(stack, account.id);
    expect(inAws.length).toBeGreaterThanOrEqual(crawl.rolesPerAccount);
    expect(await rolesInCache(stack, account.id)).toEqual(inAws);
    if (!crawl.announcedNew(account)) continue;
    const created = changes.filter((c) => c.data.accountId === account.id && c.data.itemType === 'iam_role');
    expect(created.map((c) => c.data.arn).sort()).toEqual(inAws);
  }
}
