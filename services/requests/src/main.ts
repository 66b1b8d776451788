import { hostname } from 'node:os';
import { jetstreamManager } from '@nats-io/jetstream';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { awsClientConfig, ensureTables, tablesOwnedBy, type AwsClientOptions } from '@rolecall/shared/aws';
import { loadConfig } from '@rolecall/shared/config';
import { requestsStreams } from '@rolecall/shared/contracts';
import { AppError } from '@rolecall/shared/errors';
import { createLogger } from '@rolecall/shared/log';
import { connectNats, deadLetterStream, ensureStreams } from '@rolecall/shared/nats';
import { createRedis } from '@rolecall/shared/redis';
import { startServiceMetrics } from '@rolecall/shared/metrics';
import { startTracing } from '@rolecall/shared/tracing';
import { exitOnSignal, runMain } from '@rolecall/shared/runtime';
import { createSpokeClients } from './adapters/spoke-clients.js';
import { createNotifier, resolveNotificationChannels } from './notifications/index.js';
import { buildRequestsService } from './service.js';

async function main(): Promise<void> {
  // A bad config is an AppError listing every problem; runMain prints it and exits 1.
  const config = await loadConfig(process.env, undefined, { service: 'requests' });
  const channels = resolveNotificationChannels(config.requests.notifications, process.env);
  if (!channels.ok) {
    throw new AppError('INVALID_CONFIG', `requests.notifications:\n  ${channels.problems.join('\n  ')}`, {
      context: { problems: channels.problems },
    });
  }
  const log = createLogger({ service: 'requests', level: config.log.level });
  // Before any client is made: AWS clients made while tracing is on send through a traced handler.
  const tracing = startTracing(config, 'requests', log);
  const instance = `requests-${hostname()}-${process.pid}`;
  const nc = await connectNats({ url: config.nats.url, name: instance, log });
  await ensureStreams(await jetstreamManager(nc), [requestsStreams.events, deadLetterStream], {
    replicas: config.nats.streamReplicas,
    log,
  });
  const redis = createRedis(config.redis.url, instance, log);

  // Credentials stay undefined: the SDK's default chain (env, profile, container or instance role).
  const aws: AwsClientOptions = { region: config.aws.region, endpointUrl: config.aws.endpointUrl };
  const dynamo = new DynamoDBClient(awsClientConfig('dynamodb', aws));
  await ensureTables(dynamo, config.dynamodb.tablePrefix, tablesOwnedBy('requests'));
  const spokes = createSpokeClients({
    aws,
    hubRoleArn: config.aws.hubRoleArn,
    spokeRoleName: config.aws.spokeRoleName,
    spokeExternalId: config.aws.spokeExternalId,
    sessionName: config.requests.spokeSessionName,
  });
  const notifiers: { close(): void }[] = [];

  const service = buildRequestsService({
    config,
    nc,
    redis,
    dynamo,
    spokes,
    createNotifier: (deps) => {
      const notifier = createNotifier({
        ...deps,
        ...channels.channels,
        publicUrl: config.gateway.publicUrl ?? `http://${config.gateway.host}:${config.gateway.port}`,
        log: log.child({ component: 'notifications' }),
      });
      notifiers.push(notifier);
      return notifier;
    },
    log,
    instance,
  });
  await service.start();

  const metricsServer = await startServiceMetrics(config, 'requests', log);
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
      for (const notifier of notifiers) notifier.close();
      spokes.destroy();
      dynamo.destroy();
    },
  });
}

runMain('requests', main);
