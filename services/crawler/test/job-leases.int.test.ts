import { jetstream } from '@nats-io/jetstream';
import { connect, type NatsConnection } from '@nats-io/transport-node';
import { startNats, type RunningServer } from '@rolecall/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createKvJobLeases } from '../src/adapters/kv-job-leases.js';

let nats: RunningServer;
let nc: NatsConnection;

beforeAll(async () => {
  nats = await startNats();
  nc = await connect({ servers: nats.url });
});
afterAll(async () => {
  await nc?.close();
  await nats?.stop();
});

const leasesOf = (owner: string, ttlMs = 60_000) => createKvJobLeases({ js: jetstream(nc), owner, ttlMs });

describe('crawl job leases in a NATS KV bucket', () => {
  it('lets one crawler hold a job at a time, its owner take it again, and the next take it once released', async () => {
    const a = leasesOf('crawler-a');
    const b = leasesOf('crawler-b');
    expect(await a.acquire('job-1')).toEqual({ held: true });
    expect((await b.acquire('job-1')).held).toBe(false);
    // The same job handed back to its own crawler (a redelivery) is still that crawler's.
    expect(await a.acquire('job-1')).toEqual({ held: true });
    expect(await a.renew('job-1')).toBe(true);
    expect((await b.acquire('job-1')).held).toBe(false);
    // Another job is free.
    expect(await b.acquire('job-2')).toEqual({ held: true });
    await a.release('job-1');
    expect(await b.acquire('job-1')).toEqual({ held: true });
    // a no longer holds it: renewing says so, and releasing leaves b's lease alone.
    expect(await a.renew('job-1')).toBe(false);
    await a.release('job-1');
    expect((await leasesOf('crawler-c').acquire('job-1')).held).toBe(false);
  });

  it('lets a lease lapse when its holder stops renewing, and the holder then learns it lost it', async () => {
    // Its own bucket settings: the bucket exists once per server, so this test uses a fresh server.
    const server = await startNats();
    const conn = await connect({ servers: server.url });
    try {
      const short = (owner: string) => createKvJobLeases({ js: jetstream(conn), owner, ttlMs: 1_000 });
      const a = short('crawler-a');
      const b = short('crawler-b');
      expect(await a.acquire('job-3')).toEqual({ held: true });
      let taken = false;
      for (let i = 0; i < 100 && !taken; i += 1) {
        taken = (await b.acquire('job-3')).held;
        if (!taken) await new Promise((resolve) => setTimeout(resolve, 100));
      }
      expect(taken).toBe(true);
      expect(await a.renew('job-3')).toBe(false);
      expect(await b.renew('job-3')).toBe(true);
    } finally {
      await conn.close();
      await server.stop();
    }
  });
});
