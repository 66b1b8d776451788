import {
  GetQueueAttributesCommand,
  ListQueueTagsCommand,
  paginateListQueues,
  SQSClient,
} from '@aws-sdk/client-sqs';
import { awsClientConfig, isAwsErrorNamed, translatePageErrors } from '@rolecall/shared/aws';
import type { CrawledItem } from '@rolecall/shared/contracts';
import type { Crawler } from '../domain/ports.js';
import { lastSegment, policyAndAttributes, type AttributesOf } from './aws-mapping.js';
import { createRegionalCrawler, type RegionalCrawlerOptions } from './regional-crawler.js';

/** One queue's attributes → an item; the policy is lifted out of the attributes and parsed. */
export function mapQueue(options: AttributesOf & { url: string }): CrawledItem {
  const name = lastSegment(options.url, '/');
  return {
    arn: options.attributes.QueueArn ?? `arn:aws:sqs:${options.region}:${options.accountId}:${name}`,
    itemType: 'sqs_queue',
    accountId: options.accountId,
    region: options.region,
    name,
    tags: { ...options.tags },
    details: { url: options.url, ...policyAndAttributes(options.attributes) },
  };
}

/** SQS queues of one account in every configured region. */
export function createSqsCrawler(options: RegionalCrawlerOptions): Crawler {
  return createRegionalCrawler({
    ...options,
    newClient: (clientOptions) => new SQSClient(awsClientConfig('sqs', clientOptions)),
    crawlRegion: async function* (client, { target, region, signal, fail }) {
      const pages = translatePageErrors(
        // Without MaxResults SQS returns at most 1000 queues and no NextToken.
        paginateListQueues({ client, pageSize: 1000 }, {}, { abortSignal: signal }),
        (error) => fail('sqs:ListQueues', error),
      );
      for await (const page of pages) {
        for (const url of page.QueueUrls ?? []) {
          let attributes: Record<string, string>;
          try {
            attributes =
              (
                await client.send(new GetQueueAttributesCommand({ QueueUrl: url, AttributeNames: ['All'] }), {
                  abortSignal: signal,
                })
              ).Attributes ?? {};
          } catch (error) {
            // Deleted between the listing and now: it is simply gone.
            if (isAwsErrorNamed(error, 'QueueDoesNotExist', 'AWS.SimpleQueueService.NonExistentQueue'))
              continue;
            throw fail('sqs:GetQueueAttributes', error);
          }
          const tags = await client
            .send(new ListQueueTagsCommand({ QueueUrl: url }), { abortSignal: signal })
            .then((r) => r.Tags ?? {})
            .catch((error: unknown) => {
              throw fail('sqs:ListQueueTags', error);
            });
          yield mapQueue({ url, attributes, tags, accountId: target.accountId, region });
        }
      }
    },
  });
}
