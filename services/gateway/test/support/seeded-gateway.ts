import type { NatsConnection } from '@nats-io/transport-node';
import { parseConfig, type RolecallConfig } from '@rolecall/shared/config';
import { silentLogger } from '@rolecall/shared/log';
import { connectNats } from '@rolecall/shared/nats';
import { createRedis, type Redis } from '@rolecall/shared/redis';
import { startNats, startRedis, type RunningServer } from '@rolecall/testing';
import { jetstreamManager } from '@nats-io/jetstream';
import { cacheStreams } from '@rolecall/shared/contracts';
import { ensureStreams } from '@rolecall/shared/nats';
import { startLiveResourceIndex, type LiveResourceIndex } from '../../src/adapters/live-resource-index.js';
import { createRedisReadModel } from '../../src/adapters/redis-read-model.js';
import { buildApp, type BuildAppDeps } from '../../src/app.js';
import type { GatewayApp } from '../../src/routes/deps.js';
import { seedRedis } from '../seed.js';

/** A gateway app on NATS and Redis servers of its own, Redis holding what the cache would have written. */
export interface SeededGateway {
  app: GatewayApp;
  redis: Redis;
  nc: NatsConnection;
  /** The NATS server, for a test that takes it away. */
  nats: RunningServer;
  /** The app's in-memory index, current before this resolves. */
  catalog: LiveResourceIndex;
  /** What the app was built with, for a test that builds another app beside it. */
  config: RolecallConfig;
  /** Closes the app and the connections, then stops the servers. */
  stop(): Promise<void>;
}

/**
 * Starts NATS and Redis, seeds Redis under `prefix` and builds the gateway app on them, ready for
 * `app.inject()`. `config` is the YAML's content besides the servers and the key prefix.
 */
export async function startSeededGateway(options: {
  prefix: string;
  seed: Parameters<typeof seedRedis>[2];
  config?: Record<string, unknown>;
  limits?: BuildAppDeps['limits'];
  /** A built web UI to serve (a directory like packages/web/dist). */
  webRoot?: string;
}): Promise<SeededGateway> {
  const [nats, redisServer] = await Promise.all([startNats(), startRedis()]);
  const log = silentLogger();
  const redis = createRedis(redisServer.url, 'gateway-test');
  const nc = await connectNats({ url: nats.url, name: 'gateway-test', log });
  await seedRedis(redis, options.prefix, options.seed);
  // services/cache creates its change stream at its start; with no cache here, the test stands in for it.
  await ensureStreams(await jetstreamManager(nc), [cacheStreams.resourceChanges], { replicas: 1 });
  const config = parseConfig({
    environment: 'test',
    ...options.config,
    redis: { url: redisServer.url, keyPrefix: options.prefix },
    nats: { url: nats.url },
  });
  const catalog = startLiveResourceIndex({
    nc,
    reader: createRedisReadModel({ redis, keyPrefix: options.prefix, log }),
    log,
    redisReady: () => redis.status === 'ready',
  });
  await catalog.whenCurrent();
  const app = await buildApp({
    config,
    redis,
    nc,
    log,
    catalog,
    ...(options.limits ? { limits: options.limits } : {}),
    ...(options.webRoot ? { webRoot: options.webRoot } : {}),
  });
  await app.ready();
  return {
    app,
    redis,
    nc,
    nats,
    catalog,
    config,
    async stop() {
      await app.close();
      await nc.close();
      redis.disconnect();
      await Promise.all([nats.stop(), redisServer.stop()]);
    },
  };
}
