#!/usr/bin/env node
// Seeds the demo organization into moto and creates what the services expect to find: DynamoDB tables,
// the snapshot bucket and the JetStream streams. Used by `npm run demo` (imported) and by the one-shot
// `seed` container of docker-compose.yaml (run directly, endpoints from AWS_ENDPOINT_URL and NATS_URL).
// Needs the built @rolecall/shared and @rolecall/testing (the seeder). Safe to run again: every step looks
// before it creates.
import { connect } from '@nats-io/transport-node';
import { jetstreamManager } from '@nats-io/jetstream';
import { fileURLToPath } from 'node:url';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { S3Client } from '@aws-sdk/client-s3';
import { awsClientConfig, ensureAllTables, ensureBucket, tableNames } from '@rolecall/shared/aws';
import { loadConfig } from '@rolecall/shared/config';
import { ensureAllStreams } from '@rolecall/shared/nats';
import { seedDemoOrganization } from '@rolecall/testing';

const MOTO_KEYS = { accessKeyId: 'testing', secretAccessKey: 'testing' };

/**
 * @param {{ env: NodeJS.ProcessEnv, onProgress?: (line: string) => void }} options
 *   env must hold AWS_ENDPOINT_URL and NATS_URL; ROLECALL_CONFIG picks the config (default
 *   config/rolecall.yaml) for the region, table prefix and bucket.
 */
export async function prepareDemo({ env, onProgress = () => {} }) {
  const config = await loadConfig(env);
  const endpointUrl = config.aws.endpointUrl;
  if (!endpointUrl) throw new Error('AWS_ENDPOINT_URL (or aws.endpointUrl) must point at moto');
  const organization = await seedDemoOrganization({
    endpointUrl,
    region: config.aws.region,
    credentials: MOTO_KEYS,
    onProgress,
  });

  const clientOptions = { region: config.aws.region, endpointUrl, credentials: MOTO_KEYS };
  await ensureAllTables(
    new DynamoDBClient(awsClientConfig('dynamodb', clientOptions)),
    config.dynamodb.tablePrefix,
  );
  await ensureBucket(new S3Client(awsClientConfig('s3', clientOptions)), config.s3.bucket, config.aws.region);
  onProgress(
    `tables ${Object.values(tableNames(config.dynamodb.tablePrefix)).join(', ')}; bucket ${config.s3.bucket}`,
  );

  // The services create the streams too; creating them here first means no start-up order matters.
  const nc = await connect({ servers: config.nats.url.split(',') });
  try {
    await ensureAllStreams(await jetstreamManager(nc), config.nats.streamReplicas);
  } finally {
    await nc.drain();
  }
  onProgress(`JetStream streams ready on ${config.nats.url}`);
  return { config, organization };
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  try {
    const { organization } = await prepareDemo({ env: process.env, onProgress: (line) => console.log(line) });
    console.log(
      `demo organization ready: ${organization.accounts.map((a) => `${a.name} ${a.id}`).join(', ')}`,
    );
  } catch (error) {
    console.error(`seeding the demo failed: ${error?.stack ?? error}`);
    process.exitCode = 1;
  }
}
