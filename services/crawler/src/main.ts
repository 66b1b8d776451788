import { hostname } from 'node:os';
import { loadConfig } from '@rolecall/shared/config';
import { isAppError } from '@rolecall/shared/errors';
import { createLogger } from '@rolecall/shared/log';
import { connectNats, ensureStreams } from '@rolecall/shared/nats';
import { buildCrawlerService } from './service.js';

async function main(): Promise<void> {
  let config;
  try {
    config = await loadConfig(process.env);
  } catch (error) {
    process.stderr.write(`${isAppError(error) ? error.message : String(error)}\n`);
    process.exit(1);
  }
  const log = createLogger({ service: 'crawler', level: config.log.level });
  const instance = `crawler-${hostname()}-${process.pid}`;
  const nc = await connectNats({ url: config.nats.url, name: instance, log });
  await ensureStreams(await nc.jetstreamManager(), config.nats.streamReplicas);

  const service = buildCrawlerService({
    config,
    nc,
    log,
    instance,
    // Credentials stay undefined: the SDK's default chain (env, profile, container or instance role).
    aws: { region: config.aws.region, endpointUrl: config.aws.endpointUrl },
  });
  await service.start();

  let stopping = false;
  const shutdown = async (signal: string) => {
    if (stopping) return;
    stopping = true;
    log.info({ signal }, 'shutting down');
    try {
      await service.stop();
      await nc.drain();
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
  process.stderr.write(`crawler failed to start: ${(error as Error)?.stack ?? String(error)}\n`);
  process.exit(1);
});
