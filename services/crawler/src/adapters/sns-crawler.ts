import {
  GetTopicAttributesCommand,
  ListTagsForResourceCommand,
  paginateListTopics,
  SNSClient,
} from '@aws-sdk/client-sns';
import { awsClientConfig, isAwsErrorNamed, translatePageErrors } from '@rolecall/shared/aws';
import type { CrawledItem } from '@rolecall/shared/contracts';
import type { Crawler } from '../domain/ports.js';
import { lastSegment, policyAndAttributes, tagsFromList, type AttributesOf } from './aws-mapping.js';
import { createRegionalCrawler, type RegionalCrawlerOptions } from './regional-crawler.js';

export function mapTopic(options: AttributesOf & { arn: string }): CrawledItem {
  return {
    arn: options.arn,
    itemType: 'sns_topic',
    accountId: options.accountId,
    region: options.region,
    name: lastSegment(options.arn, ':'),
    tags: { ...options.tags },
    details: policyAndAttributes(options.attributes),
  };
}

/** SNS topics of one account in every configured region. */
export function createSnsCrawler(options: RegionalCrawlerOptions): Crawler {
  return createRegionalCrawler({
    ...options,
    newClient: (clientOptions) => new SNSClient(awsClientConfig('sns', clientOptions)),
    crawlRegion: async function* (client, { target, region, signal, fail }) {
      const pages = translatePageErrors(
        paginateListTopics({ client }, {}, { abortSignal: signal }),
        (error) => fail('sns:ListTopics', error),
      );
      for await (const page of pages) {
        for (const topic of page.Topics ?? []) {
          const arn = topic.TopicArn;
          if (!arn) continue;
          let attributes: Record<string, string>;
          try {
            attributes =
              (await client.send(new GetTopicAttributesCommand({ TopicArn: arn }), { abortSignal: signal }))
                .Attributes ?? {};
          } catch (error) {
            if (isAwsErrorNamed(error, 'NotFound', 'NotFoundException')) continue;
            throw fail('sns:GetTopicAttributes', error);
          }
          const tags = await client
            .send(new ListTagsForResourceCommand({ ResourceArn: arn }), { abortSignal: signal })
            .then((r) => tagsFromList(r.Tags))
            .catch((error: unknown) => {
              throw fail('sns:ListTagsForResource', error);
            });
          yield mapTopic({ arn, attributes, tags, accountId: target.accountId, region });
        }
      }
    },
  });
}
