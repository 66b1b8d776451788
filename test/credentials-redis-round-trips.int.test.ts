import { randomUUID } from 'node:crypto';
import { createRedis, type Redis } from '@rolecall/shared/redis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { seedAndCrawlRoles } from './support/crawls.js';
import { eventually, startStack, type Stack } from './support/stack.js';

/**
 * Issue 12 §3: at most one Redis round trip per issuance for a request naming an ARN, counted on the real
 * Redis with MONITOR (every command every client sends, in the order Redis runs them) while the real
 * gateway and broker processes answer `POST /api/v1/get_credentials`. A MULTI … EXEC block is one round
 * trip (ioredis writes it at once and waits for one answer); every other command is counted as one,
 * which can only overcount.
 */
const USER = 'alice@example.com';
const GROUPS = ['engineering', 'payments'];

interface Seen {
  client: string;
  args: string[];
}

let stack: Stack;
let roleArn: string;
let redis: Redis;
let reader: Redis;
let monitor: Awaited<ReturnType<Redis['monitor']>>;
const seen: Seen[] = [];

beforeAll(async () => {
  stack = await startStack({
    config: {
      auth: { cliAcceptsTrustedHeaders: true },
      gateway: { rateLimit: { credentialsPerMinute: 1000 } },
    },
  });
  const org = await seedAndCrawlRoles(stack);
  roleArn = `arn:aws:iam::${org.accounts.find((a) => a.name === 'prod')!.id}:role/readonly`;
  redis = createRedis(stack.env.redis.url, 'round-trip-test');
  reader = createRedis(stack.env.redis.url, 'round-trip-reader');
  monitor = await redis.monitor();
  monitor.on('monitor', (_time: string, args: string[], source: string) => {
    seen.push({ client: source, args });
  });
}, 180_000);

afterAll(async () => {
  monitor?.disconnect();
  redis?.disconnect();
  reader?.disconnect();
  await stack?.stop();
});

const getCredentials = (requestedRole: string) =>
  fetch(`${stack.gatewayUrl}/api/v1/get_credentials`, {
    method: 'POST',
    headers: {
      'content-type': 'application/json',
      'x-forwarded-email': USER,
      'x-forwarded-groups': GROUPS.join(','),
    },
    body: JSON.stringify({ requested_role: requestedRole }),
  });

/** The connection names of the gateway's and the broker's Redis clients, by address (`ip:port`). */
async function serviceClients(): Promise<Map<string, string>> {
  const probe = createRedis(stack.env.redis.url, 'round-trip-probe');
  try {
    const list = (await probe.client('LIST')) as string;
    const clients = new Map<string, string>();
    for (const line of list.split('\n')) {
      const fields = Object.fromEntries(line.split(' ').map((f) => f.split('=') as [string, string]));
      const name = fields.name ?? '';
      if (name === 'rolecall-gateway' || name.startsWith('broker-')) clients.set(fields.addr ?? '', name);
    }
    return clients;
  } finally {
    probe.disconnect();
  }
}

/**
 * Everything Redis ran between two markers this test sends (MONITOR reports commands in the order Redis
 * runs them, so what a service sent before its HTTP answer lies before the closing marker).
 */
async function commandsDuring(run: () => Promise<void>): Promise<Seen[]> {
  const open = `round-trip-open-${randomUUID()}`;
  const close = `round-trip-close-${randomUUID()}`;
  const marker = createRedis(stack.env.redis.url, 'round-trip-marker');
  try {
    await marker.echo(open);
    await run();
    await marker.echo(close);
    await eventually(
      () => (seen.some((s) => s.args.includes(close)) ? true : undefined),
      () => 'MONITOR never reported the closing marker',
      10_000,
    );
  } finally {
    marker.disconnect();
  }
  const from = seen.findIndex((s) => s.args.includes(open));
  const to = seen.findIndex((s) => s.args.includes(close));
  return seen.slice(from + 1, to);
}

/** Round trips per client: a MULTI … EXEC block is one, any other command one. */
function roundTrips(commands: Seen[]): { client: string; commands: string[] }[] {
  const trips: { client: string; commands: string[] }[] = [];
  const open = new Map<string, { client: string; commands: string[] }>();
  for (const { client, args } of commands) {
    const name = (args[0] ?? '').toUpperCase();
    const block = open.get(client);
    if (block) {
      block.commands.push(name);
      if (name === 'EXEC' || name === 'DISCARD') open.delete(client);
      continue;
    }
    const trip = { client, commands: [name] };
    trips.push(trip);
    if (name === 'MULTI') open.set(client, trip);
  }
  return trips;
}

describe('Redis round trips per credential issuance', () => {
  it('is one for a request naming an ARN: the rate-limit charge and the authorization read in one MULTI', async () => {
    // The broker learns the mapping from the crawl's change events; wait until it grants the role.
    await eventually(
      async () => ((await getCredentials(roleArn)).status === 200 ? true : undefined),
      () => `the broker never granted ${roleArn} to ${USER}`,
      30_000,
    );
    const clients = await serviceClients();
    expect([...clients.values()].some((n) => n.startsWith('broker-'))).toBe(true);
    expect([...clients.values()]).toContain('rolecall-gateway');

    const issuances = 5;
    for (let i = 0; i < issuances; i += 1) {
      let status = 0;
      let accessKeyId: unknown;
      const during = await commandsDuring(async () => {
        const response = await getCredentials(roleArn);
        status = response.status;
        accessKeyId = ((await response.json()) as { Credentials?: { AccessKeyId?: string } }).Credentials
          ?.AccessKeyId;
      });
      expect(status).toBe(200);
      expect(accessKeyId).toMatch(/^ASIA/);
      const ours = roundTrips(during.filter((s) => clients.has(s.client)));
      const described = JSON.stringify(ours.map((t) => `${clients.get(t.client)}: ${t.commands.join(' ')}`));
      expect(ours, described).toHaveLength(1);
      // The one trip is the broker's, and it both charges the caller's limit and reads their roles.
      const [trip] = ours;
      expect(clients.get(trip!.client), described).toMatch(/^broker-/);
      expect(trip!.commands, described).toEqual(
        expect.arrayContaining(['MULTI', 'INCR', 'PEXPIRE', 'EXISTS', 'SUNION', 'HMGET', 'EXEC']),
      );
    }
  });

  it("still charges the limit once per request: the caller's counter rises by one per issuance", async () => {
    const windowStart = (now: number) => now - (now % 60_000);
    const key = (at: number) => `rc:ratelimit:credentials:${windowStart(at)}:${USER}`;
    // Asked again only when a minute boundary fell between the two reads (another window's counter).
    const { before, after } = await eventually(
      async () => {
        const startedAt = Date.now();
        const count = Number((await reader.get(key(startedAt))) ?? 0);
        expect((await getCredentials(roleArn)).status).toBe(200);
        const endedAt = Date.now();
        if (windowStart(startedAt) !== windowStart(endedAt)) return undefined;
        return { before: count, after: Number(await reader.get(key(endedAt))) };
      },
      () => 'a request within one rate-limit window',
      30_000,
    );
    expect(after).toBe(before + 1);
  });
});
