import {
  GetBucketLocationCommand,
  GetBucketPolicyCommand,
  GetBucketTaggingCommand,
  paginateListBuckets,
  S3Client,
} from '@aws-sdk/client-s3';
import {
  awsClientConfig,
  isAwsErrorNamed,
  translateAwsError,
  translatePageErrors,
  type AwsClientOptions,
} from '@rolecall/shared/aws';
import type { Crawler } from '../domain/ports.js';
import { decodePolicyDocument, isoDate, tagsFromList } from './aws-mapping.js';
import type { SpokeAccess } from './spoke-access.js';

/** GetBucketLocation's answer → a region: empty means us-east-1 and `EU` is the old name of eu-west-1. */
export function bucketRegion(locationConstraint: string | undefined | null): string {
  if (!locationConstraint) return 'us-east-1';
  if (locationConstraint === 'EU') return 'eu-west-1';
  return locationConstraint;
}

/** S3 buckets of one account with their region, policy (null when none) and tags ({} when none). */
export function createS3Crawler(options: { access: SpokeAccess }): Crawler {
  return async function* crawlS3(target, signal) {
    const spoke = await options.access.open(target.accountId);
    const clients = new Map<string, S3Client>();
    // Bucket calls go to the bucket's own region: S3 refuses most of them from another region.
    const clientFor = (region: string) => {
      let client = clients.get(region);
      if (!client) {
        const regional: AwsClientOptions = { ...spoke, region };
        client = new S3Client(awsClientConfig('s3', regional));
        clients.set(region, client);
      }
      return client;
    };
    const call = async <T>(operation: string, bucket: string | undefined, run: () => Promise<T>) => {
      try {
        return await run();
      } catch (error) {
        throw translateAwsError(error, { operation, accountId: target.accountId, bucket });
      }
    };
    try {
      const home = clientFor(spoke.region);
      const pages = translatePageErrors(
        paginateListBuckets({ client: home, pageSize: 1000 }, {}, { abortSignal: signal }),
        (error) => translateAwsError(error, { operation: 's3:ListBuckets', accountId: target.accountId }),
      );
      for await (const page of pages) {
        for (const bucket of page.Buckets ?? []) {
          const name = bucket.Name;
          if (!name) continue;
          const location = await call('s3:GetBucketLocation', name, () =>
            home.send(new GetBucketLocationCommand({ Bucket: name }), { abortSignal: signal }),
          );
          const region = bucketRegion(location.LocationConstraint);
          const client = clientFor(region);
          const policy = await call('s3:GetBucketPolicy', name, async () => {
            try {
              const result = await client.send(new GetBucketPolicyCommand({ Bucket: name }), {
                abortSignal: signal,
              });
              return decodePolicyDocument(result.Policy);
            } catch (error) {
              if (isAwsErrorNamed(error, 'NoSuchBucketPolicy')) return null;
              throw error;
            }
          });
          const tags = await call('s3:GetBucketTagging', name, async () => {
            try {
              const result = await client.send(new GetBucketTaggingCommand({ Bucket: name }), {
                abortSignal: signal,
              });
              return tagsFromList(result.TagSet);
            } catch (error) {
              if (isAwsErrorNamed(error, 'NoSuchTagSet', 'NoSuchTagSetError')) return {};
              throw error;
            }
          });
          yield {
            arn: `arn:aws:s3:::${name}`,
            itemType: 's3_bucket' as const,
            accountId: target.accountId,
            region,
            name,
            tags,
            details: {
              policy,
              ...(bucket.CreationDate ? { creationDate: isoDate(bucket.CreationDate) } : {}),
            },
          };
        }
      }
    } finally {
      for (const client of clients.values()) client.destroy();
    }
  };
}
