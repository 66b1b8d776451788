import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { awsClientConfig } from '@rolecall/shared/aws';
import { loadConfig } from '@rolecall/shared/config';
import { isAppError } from '@rolecall/shared/errors';
import { createLogger } from '@rolecall/shared/log';
import { connectNats } from '@rolecall/shared/nats';
import { createRedis } from '@rolecall/shared/redis';
import { buildApp } from './app.js';

/** Composition root: config, connections, listen, graceful shutdown. The only place reading the environment. */
async function main(): Promise<void> {
  const config = await loadConfig(process.env);
  const log = createLogger({ service: 'gateway', level: config.log.level });
  const nc = await connectNats({ url: config.nats.url, name: 'rolecall-gateway', log });
  const redis = createRedis(config.redis.url, 'rolecall-gateway');
  // ioredis reconnects by itself; without a listener its connection errors would crash the process.
  redis.on('error', (error: Error) => log.warn({ err: error }, 'redis connection error'));
  const dynamo = new DynamoDBClient(
    awsClientConfig('dynamodb', { region: config.aws.region, endpointUrl: config.aws.endpointUrl }),
  );
  const app = await buildApp({ config, redis, nc, dynamo, log });
  await app.listen({ host: config.gateway.host, port: config.gateway.port });
  log.info({ url: `http://${config.gateway.host}:${config.gateway.port}` }, 'gateway listening');

  let stopping = false;
  const shutdown = async (signal: string) => {
    if (stopping) return;
    stopping = true;
    log.info({ signal }, 'shutting down');
    try {
      await app.close();
      await nc.drain();
      await redis.quit();
      dynamo.destroy();
      process.exit(0);
    } catch (error) {
      log.error({ err: error }, 'unclean shutdown');
      process.exit(1);
    }
  };
  process.once('SIGTERM', () => void shutdown('SIGTERM'));
  process.once('SIGINT', () => void shutdown('SIGINT'));
}

main().catch((error: unknown) => {
  // Config problems are listed one per line by loadConfig; print them as they are.
  process.stderr.write(
    `gateway failed to start: ${isAppError(error) ? error.message : String((error as Error)?.stack ?? error)}\n`,
  );
  process.exit(1);
});
