import { jetstreamManager } from '@nats-io/jetstream';
import { hostname } from 'node:os';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { awsClientConfig, ensureTables, tablesOwnedBy, type AwsClientOptions } from '@rolecall/shared/aws';
import { loadConfig } from '@rolecall/shared/config';
import { createLogger } from '@rolecall/shared/log';
import { brokerStreams } from '@rolecall/shared/contracts';
import { connectNats, deadLetterStream, ensureStreams } from '@rolecall/shared/nats';
import { createRedis } from '@rolecall/shared/redis';
import { startServiceMetrics } from '@rolecall/shared/metrics';
import { startTracing } from '@rolecall/shared/tracing';
import { exitOnSignal, runMain } from '@rolecall/shared/runtime';
import { createHubStsClient } from './adapters/hub-sts-client.js';
import { createStsCredentialIssuer } from './adapters/sts-credential-issuer.js';
import { buildBrokerService } from './service.js';

async function main(): Promise<void> {
  // A bad config is an AppError listing every problem; runMain prints it and exits 1.
  const config = await loadConfig(process.env);
  const log = createLogger({ service: 'broker', level: config.log.level });
  // Before any client is made: AWS clients made while tracing is on send through a traced handler.
  const tracing = startTracing(config, 'broker', log);
  const instance = `broker-${hostname()}-${process.pid}`;
  const nc = await connectNats({ url: config.nats.url, name: instance, log });
  // The broker's own stream and where its consumers put messages aside. It waits at start for the
  // cache's RESOURCE_CHANGES and the gateway's CONFIG_CHANGES if they do not exist yet.
  await ensureStreams(await jetstreamManager(nc), [brokerStreams.audit, deadLetterStream], {
    replicas: config.nats.streamReplicas,
    log,
  });
  const redis = createRedis(config.redis.url, instance, log);
  const watchRedis = createRedis(config.redis.url, `${instance}-watch`, log);

  // Credentials stay undefined: the SDK's default chain (env, profile, container or instance role).
  const aws: AwsClientOptions = { region: config.aws.region, endpointUrl: config.aws.endpointUrl };
  const dynamo = new DynamoDBClient(awsClientConfig('dynamodb', aws));
  // Its own table only; the service waits at start for the cache's roles table and the gateway's
  // dynamic config table if they do not exist yet.
  await ensureTables(dynamo, config.dynamodb.tablePrefix, tablesOwnedBy('broker'));
  const hubSts = createHubStsClient({ aws, hubRoleArn: config.aws.hubRoleArn });

  const service = buildBrokerService({
    config,
    nc,
    redis,
    watchRedis,
    dynamo,
    issuer: createStsCredentialIssuer({ sts: hubSts }),
    log,
    instance,
  });
  await service.start();

  const metricsServer = await startServiceMetrics(config, 'broker', log);
  exitOnSignal({
    log,
    stop: async () => {
      await metricsServer?.close();
      await service.stop();
    },
    nc,
    close: () => Promise.all([redis.quit(), watchRedis.quit(), tracing.shutdown()]),
  });
}

runMain('broker', main);
