import { hostname } from 'node:os';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { STSClient } from '@aws-sdk/client-sts';
import {
  assumeRoleProvider,
  awsClientConfig,
  ensureTables,
  type AwsClientOptions,
} from '@rolecall/shared/aws';
import { loadConfig } from '@rolecall/shared/config';
import { isAppError } from '@rolecall/shared/errors';
import { createLogger } from '@rolecall/shared/log';
import { connectNats, ensureStreams } from '@rolecall/shared/nats';
import { createRedis } from '@rolecall/shared/redis';
import { createStsCredentialIssuer } from './adapters/sts-credential-issuer.js';
import { buildBrokerService } from './service.js';

async function main(): Promise<void> {
  let config;
  try {
    config = await loadConfig(process.env);
  } catch (error) {
    process.stderr.write(`${isAppError(error) ? error.message : String(error)}\n`);
    process.exit(1);
  }
  const log = createLogger({ service: 'broker', level: config.log.level });
  const instance = `broker-${hostname()}-${process.pid}`;
  const nc = await connectNats({ url: config.nats.url, name: instance, log });
  await ensureStreams(await nc.jetstreamManager(), config.nats.streamReplicas);
  const redis = createRedis(config.redis.url, instance);
  const watchRedis = createRedis(config.redis.url, `${instance}-watch`);

  // Credentials stay undefined: the SDK's default chain (env, profile, container or instance role).
  const aws: AwsClientOptions = { region: config.aws.region, endpointUrl: config.aws.endpointUrl };
  const dynamo = new DynamoDBClient(awsClientConfig('dynamodb', aws));
  await ensureTables(dynamo, config.dynamodb.tablePrefix);
  const processSts = new STSClient(awsClientConfig('sts', aws));
  const hubSts = config.aws.hubRoleArn
    ? new STSClient(
        awsClientConfig('sts', {
          ...aws,
          credentials: assumeRoleProvider(processSts, {
            roleArn: config.aws.hubRoleArn,
            sessionName: 'rolecall-broker',
          }),
        }),
      )
    : processSts;

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

  let stopping = false;
  const shutdown = async (signal: string) => {
    if (stopping) return;
    stopping = true;
    log.info({ signal }, 'shutting down');
    try {
      await service.stop();
      await nc.drain();
      await Promise.all([redis.quit(), watchRedis.quit()]);
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
  process.stderr.write(`broker failed to start: ${(error as Error)?.stack ?? String(error)}\n`);
  process.exit(1);
});
