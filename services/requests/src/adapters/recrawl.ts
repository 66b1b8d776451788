import type { NatsConnection } from '@nats-io/transport-node';
import { crawlerOperations, type CrawlType, type StartCrawlReply } from '@rolecall/shared/contracts';
import { AppError } from '@rolecall/shared/errors';
import { parseArn } from '@rolecall/shared/iam';
import { request } from '@rolecall/shared/nats';
import type { RecrawlTarget, Recrawler } from '../domain/ports.js';
export type { RecrawlTarget, Recrawler };

const CRAWL_TYPE_OF_SERVICE: Readonly<Record<string, CrawlType>> = {
  iam: 'iam',
  s3: 's3',
  sqs: 'sqs',
  sns: 'sns',
};

/** The crawl that sees an ARN: IAM roles, users and policies are the `iam` crawl, buckets `s3`, and so on. */
export function crawlTypeOfArn(arn: string): CrawlType {
  const service = parseArn(arn)?.service ?? '';
  const crawlType = CRAWL_TYPE_OF_SERVICE[service];
  if (!crawlType) {
    throw new AppError('VALIDATION_FAILED', `no crawl covers ${arn}`, { context: { arn } });
  }
  return crawlType;
}

/**
 * Over `crawlerOperations.startCrawl`, the same operation the gateway's refresh route calls: the crawler
 * has no per-ARN crawl, so the unit is an account and a crawl type. A job already waiting or running for
 * one covers it (`already_queued`): asking again never crawls twice at once. One request per crawl type,
 * naming its accounts, since the operation crawls every named account in every named type.
 */
export function createNatsRecrawler(options: {
  nc: NatsConnection;
  source: string;
  timeoutMs?: number;
}): Recrawler {
  const { nc, source, timeoutMs = 10_000 } = options;
  return {
    async recrawl(targets, requestedBy) {
      const accountsByType = new Map<CrawlType, Set<string>>();
      for (const target of targets) {
        const crawlType = crawlTypeOfArn(target.arn);
        let accounts = accountsByType.get(crawlType);
        if (!accounts) {
          accounts = new Set();
          accountsByType.set(crawlType, accounts);
        }
        accounts.add(target.accountId);
      }
      const replies: StartCrawlReply[] = [];
      for (const [crawlType, accounts] of accountsByType) {
        replies.push(
          await request(
            nc,
            crawlerOperations.startCrawl,
            { accountIds: [...accounts].sort(), crawlTypes: [crawlType], requestedBy },
            { source, timeoutMs },
          ),
        );
      }
      return replies;
    },
  };
}
