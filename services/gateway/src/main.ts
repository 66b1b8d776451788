import { jetstreamManager } from '@nats-io/jetstream';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { awsClientConfig, ensureTables, tablesOwnedBy } from '@rolecall/shared/aws';
import { loadConfig } from '@rolecall/shared/config';
import { createLogger } from '@rolecall/shared/log';
import { configStreams } from '@rolecall/shared/contracts';
import { startServiceMetrics } from '@rolecall/shared/metrics';
import { startTracing } from '@rolecall/shared/tracing';
import { connectNats, ensureStreams } from '@rolecall/shared/nats';
import { createRedis } from '@rolecall/shared/redis';
import { exitOnSignal, runMain } from '@rolecall/shared/runtime';
import { readFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { buildApp } from './app.js';

/** The web UI built beside this service in the monorepo (services/gateway/dist → packages/web/dist). */
const WEB_ROOT = fileURLToPath(new URL('../../../packages/web/dist', import.meta.url));

/** Composition root: config, connections, listen, graceful shutdown. The only place reading the environment. */
async function main(): Promise<void> {
  // A bad config, the gateway's own rules included, is an AppError listing every problem; runMain prints it.
  const config = await loadConfig(process.env, undefined, { service: 'gateway' });
  const log = createLogger({ service: 'gateway', level: config.log.level });
  // Before any client is made: AWS clients made while tracing is on send through a traced handler.
  const tracing = startTracing(config, 'gateway', log);
  const nc = await connectNats({ url: config.nats.url, name: 'rolecall-gateway', log });
  const dynamo = new DynamoDBClient(
    awsClientConfig('dynamodb', { region: config.aws.region, endpointUrl: config.aws.endpointUrl }),
  );
  // Dynamic config is saved here (the config API), so its table and the stream its saves are announced on
  // are ours. The table first: a broker that sees the stream then finds the table.
  await ensureTables(dynamo, config.dynamodb.tablePrefix, tablesOwnedBy('gateway'));
  await ensureStreams(await jetstreamManager(nc), [configStreams.configChanges], {
    replicas: config.nats.streamReplicas,
    log,
  });
  const redis = createRedis(config.redis.url, 'rolecall-gateway', log);
  const tls = config.gateway.tls;
  const app = await buildApp({
    config,
    redis,
    nc,
    dynamo,
    log,
    webRoot: WEB_ROOT,
    ...(tls
      ? {
          tls: {
            cert: await readFile(tls.certFile, 'utf8'),
            key: await readFile(tls.keyFile, 'utf8'),
            ...(tls.clientCaFile ? { clientCa: await readFile(tls.clientCaFile, 'utf8') } : {}),
          },
        }
      : {}),
    ...(config.auth.mtls?.proxyCaFile
      ? { mtlsProxyCa: await readFile(config.auth.mtls.proxyCaFile, 'utf8') }
      : {}),
  });
  await app.listen({ host: config.gateway.host, port: config.gateway.port });
  const scheme = tls ? 'https' : 'http';
  log.info({ url: `${scheme}://${config.gateway.host}:${config.gateway.port}` }, 'gateway listening');
  const metricsServer = await startServiceMetrics(config, 'gateway', log);

  exitOnSignal({
    log,
    stop: () => app.close(),
    nc,
    close: async () => {
      await tracing.shutdown();
      await metricsServer?.close();
      await redis.quit();
      dynamo.destroy();
    },
  });
}

runMain('gateway', main);
