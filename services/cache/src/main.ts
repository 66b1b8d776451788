import { hostname } from 'node:os';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { S3Client } from '@aws-sdk/client-s3';
import { awsClientConfig } from '@rolecall/shared/aws';
import { loadConfig } from '@rolecall/shared/config';
import { createLogger } from '@rolecall/shared/log';
import { connectNats } from '@rolecall/shared/nats';
import { createRedis } from '@rolecall/shared/redis';
import { startServiceMetrics } from '@rolecall/shared/metrics';
import { startTracing } from '@rolecall/shared/tracing';
import { exitOnSignal, runMain } from '@rolecall/shared/runtime';
import { buildCacheService } from './service.js';

async function main(): Promise<void> {
  // A bad config is an AppError listing every problem; runMain prints it and exits 1.
  const config = await loadConfig(process.env);
  const log = createLogger({ service: 'cache', level: config.log.level });
  // Before any client is made: AWS clients made while tracing is on send through a traced handler.
  const tracing = startTracing(config, 'cache', log);
  const aws = { region: config.aws.region, endpointUrl: config.aws.endpointUrl };
  const dynamo = new DynamoDBClient(awsClientConfig('dynamodb', aws));
  const s3 = new S3Client(awsClientConfig('s3', aws));
  const instance = `cache-${hostname()}-${process.pid}`;
  const nc = await connectNats({ url: config.nats.url, name: instance, log });
  const redis = createRedis(config.redis.url, instance, log);
  const service = buildCacheService({
    config,
    nc,
    redis,
    dynamo,
    s3,
    log,
    instance,
  });

  const metricsServer = await startServiceMetrics(config, 'cache', log);
  exitOnSignal({
    log,
    stop: async () => {
      await metricsServer?.close();
      await service.stop();
    },
    nc,
    close: async () => {
      await tracing.shutdown();
      await redis.quit();
      dynamo.destroy();
      s3.destroy();
    },
  });

  await service.start();
}

runMain('cache service', main);
