import { IAMClient } from '@aws-sdk/client-iam';
import { S3Client } from '@aws-sdk/client-s3';
import { SNSClient } from '@aws-sdk/client-sns';
import { SQSClient } from '@aws-sdk/client-sqs';
import {
  awsClientConfig,
  createHubAndSpoke,
  type AwsClientOptions,
  type HubAndSpokeOptions,
} from '@rolecall/shared/aws';

/** SDK clients acting in one account through its spoke role. */
export interface AccountClients {
  iam: IAMClient;
  s3: S3Client;
  sqs(region: string): SQSClient;
  sns(region: string): SNSClient;
}

/** The clients of each account, made once and kept: one spoke session per account, renewed before it ends. */
export interface SpokeClients {
  forAccount(accountId: string): AccountClients;
  /** Closes every client made. */
  destroy(): void;
}

/**
 * Clients through each account's spoke role, with the hub and spoke the crawler uses
 * (createHubAndSpoke). A spoke that cannot be assumed fails the first call made with it, as an
 * AppError (ACCESS_DENIED…) naming the role.
 */
export function createSpokeClients(options: HubAndSpokeOptions): SpokeClients {
  const { spokeCredentials } = createHubAndSpoke(options);
  const accounts = new Map<string, AccountClients>();
  const made: { destroy(): void }[] = [];
  const keep = <C extends { destroy(): void }>(client: C): C => {
    made.push(client);
    return client;
  };

  const open = (accountId: string): AccountClients => {
    const spoke: AwsClientOptions = {
      ...options.aws,
      credentials: spokeCredentials(accountId),
    };
    const sqs = new Map<string, SQSClient>();
    const sns = new Map<string, SNSClient>();
    const inRegion = <C extends { destroy(): void }>(
      clients: Map<string, C>,
      region: string,
      make: () => C,
    ): C => {
      let client = clients.get(region);
      if (!client) {
        client = keep(make());
        clients.set(region, client);
      }
      return client;
    };
    return {
      iam: keep(new IAMClient(awsClientConfig('iam', spoke))),
      // A bucket may be in any region: the client follows S3's redirect to it.
      s3: keep(new S3Client({ ...awsClientConfig('s3', spoke), followRegionRedirects: true })),
      sqs: (region) =>
        inRegion(sqs, region, () => new SQSClient(awsClientConfig('sqs', { ...spoke, region }))),
      sns: (region) =>
        inRegion(sns, region, () => new SNSClient(awsClientConfig('sns', { ...spoke, region }))),
    };
  };

  return {
    forAccount(accountId) {
      let clients = accounts.get(accountId);
      if (!clients) {
        clients = open(accountId);
        accounts.set(accountId, clients);
      }
      return clients;
    },
    destroy() {
      for (const client of made.splice(0)) client.destroy();
      accounts.clear();
    },
  };
}
