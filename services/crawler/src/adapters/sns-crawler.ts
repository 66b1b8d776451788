import {
  GetTopicAttributesCommand,
  ListTagsForResourceCommand,
  paginateListTopics,
  SNSClient,
} from '@aws-sdk/client-sns';
import { awsClientConfig, isAwsErrorNamed, translatePageErrors } from '@rolecall/shared/aws';
import type { CrawledItem } from '@rolecall/shared/contracts';
import type { Crawler } from '../domain/ports.js';
import { camelCaseKeys, decodePolicyDocument, lastSegment, tagsFromList } from './aws-mapping.js';
import { eachRegion } from './each-region.js';
import type { SpokeAccess } from './spoke-access.js';

export function mapTopic(options: {
  arn: string;
  attributes: Record<string, string>;
  tags: Record<string, string>;
  accountId: string;
  region: string;
}): CrawledItem {
  const { Policy: policy, ...attributes } = options.attributes;
  return {
    arn: options.arn,
    itemType: 'sns_topic',
    accountId: options.accountId,
    region: options.region,
    name: lastSegment(options.arn, ':'),
    tags: { ...options.tags },
    details: { policy: decodePolicyDocument(policy), attributes: camelCaseKeys(attributes) },
  };
}

/** SNS topics of one account in every configured region. */
export function createSnsCrawler(options: { access: SpokeAccess; regions: readonly string[] }): Crawler {
  return async function* crawlSns(target, signal) {
    yield* eachRegion({
      spoke: await options.access.open(target.accountId),
      accountId: target.accountId,
      regions: options.regions,
      newClient: (clientOptions) => new SNSClient(awsClientConfig('sns', clientOptions)),
      crawlRegion: async function* (client, region, fail) {
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
  };
}
