import { AckPolicy, DeliverPolicy, jetstream, jetstreamManager } from '@nats-io/jetstream';
import type { NatsConnection } from '@nats-io/transport-node';
import { paginateListRoles } from '@aws-sdk/client-iam';
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
import { iamIn } from './aws.js';
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

/** Every message of `stream` on `filter` stored so far, oldest first, with who published it. */
export async function readStream(nc: NatsConnection, stream: string, filter: string) {
  const jsm = await jetstreamManager(nc);
  const name = `read-${Math.random().toString(36).slice(2)}`;
  await jsm.consumers.add(stream, {
    name,
    ack_policy: AckPolicy.None,
    deliver_policy: DeliverPolicy.All,
    filter_subject: filter,
    inactive_threshold: 60_000_000_000,
  });
  const consumer = await jetstream(nc).consumers.get(stream, name);
  const pending = (await consumer.info()).num_pending;
  const out: { data: Uint8Array; subject: string }[] = [];
  while (out.length < pending) {
    const messages = await consumer.fetch({ max_messages: pending - out.length, expires: 5000 });
    let got = 0;
    for await (const msg of messages) {
      out.push({ data: msg.data, subject: msg.subject });
      got += 1;
    }
    if (got === 0) break;
  }
  await jsm.consumers.delete(stream, name);
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
