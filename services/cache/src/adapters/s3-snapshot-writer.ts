import { PutObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import { translateAwsError } from '@rolecall/shared/aws';
import type { SnapshotWriter } from '../domain/ports.js';

export const snapshotKey = (prefix: string, accountId: string, itemType: string) =>
  `${prefix}${accountId}/${itemType}.json.gz`;

/** One gzipped JSON object per account and item type, replaced by every successful crawl. */
export function createS3SnapshotWriter(options: {
  s3: S3Client;
  bucket: string;
  prefix: string;
}): SnapshotWriter {
  const { s3, bucket, prefix } = options;
  return {
    async write(meta, gzippedJson) {
      const Key = snapshotKey(prefix, meta.accountId, meta.itemType);
      try {
        await s3.send(
          new PutObjectCommand({
            Bucket: bucket,
            Key,
            Body: gzippedJson,
            ContentType: 'application/json',
            ContentEncoding: 'gzip',
          }),
        );
      } catch (error) {
        throw translateAwsError(error, { operation: 'S3 PutObject', bucket, key: Key });
      }
    },
  };
}
