import { jetstreamManager } from '@nats-io/jetstream';
import { hostname } from 'node:os';
import { loadConfig } from '@rolecall/shared/config';
import { createLogger } from '@rolecall/shared/log';
import { crawlerStreams } from '@rolecall/shared/contracts';
import { connectNats, deadLetterStream, ensureStreams } from '@rolecall/shared/nats';
import { startServiceMetrics } from '@rolecall/shared/metrics';
import { startTracing } from '@rolecall/shared/tracing';
import { exitOnSignal, runMain } from '@rolecall/shared/runtime';
import { buildCrawlerService } from './service.js';

async function main(): Promise<void> {
  // A bad config is an AppError listing every problem; runMain prints it and exits 1.
  const config = await loadConfig(process.env);
  const log = createLogger({ service: 'crawler', level: config.log.level });
  // Before any client is made: AWS clients made while tracing is on send through a traced handler.
  const tracing = startTracing(config, 'crawler', log);
  const instance = `crawler-${hostname()}-${process.pid}`;
  const nc = await connectNats({ url: config.nats.url, name: instance, log });
  // The crawler's own streams (the cache waits for CRAWL_RESULTS), and where its job consumer puts jobs aside.
  await ensureStreams(
    await jetstreamManager(nc),
    [crawlerStreams.crawlJobs, crawlerStreams.crawlResults, deadLetterStream],
    { replicas: config.nats.streamReplicas, log },
  );

  const service = buildCrawlerService({
    config,
    nc,
    log,
    instance,
    // Credentials stay undefined: the SDK's default chain (env, profile, container or instance role).
    aws: { region: config.aws.region, endpointUrl: config.aws.endpointUrl },
  });
  await service.start();

  const metricsServer = await startServiceMetrics(config, 'crawler', log);
  exitOnSignal({
    log,
    stop: async () => {
      await metricsServer?.close();
      await service.stop();
    },
    nc,
    close: () => tracing.shutdown(),
  });
}

runMain('crawler', main);
