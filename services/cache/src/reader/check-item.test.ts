import type { CachedItem, CrawledItem } from '@rolecall/shared/contracts';
import { describe, expect, it } from 'vitest';
import { mapConfigItem } from '../../../crawler/src/adapters/config-crawler.js';
import {
  mapGroupDetail,
  mapManagedPolicyDetail,
  mapRoleDetail,
  mapUserDetail,
} from '../../../crawler/src/adapters/iam-mapping.js';
import { mapTopic } from '../../../crawler/src/adapters/sns-crawler.js';
import { mapQueue } from '../../../crawler/src/adapters/sqs-crawler.js';
import { checkCachedItem, parseChecked } from './check-item.js';

const ACCOUNT = '111111111111';
const freshness = {
  firstSeenAt: '2026-01-01T00:00:00.000Z',
  lastSeenAt: '2026-01-02T00:00:00.000Z',
  lastCrawlId: 'crawl-1',
  lastJobId: 'job-1',
  contentHash: 'h',
};
const trust = { Version: '2012-10-17', Statement: [{ Effect: 'Allow', Action: 'sts:AssumeRole' }] };
const doc = (value: unknown) => encodeURIComponent(JSON.stringify(value));
const cached = (item: CrawledItem | undefined): CachedItem => {
  if (!item) throw new Error('the mapper dropped the item');
  return { ...item, ...freshness };
};

/** What the crawler's own mappers make of typical AWS answers, one per item type. */
const crawled: Record<string, CachedItem> = {
  iam_role: cached(
    mapRoleDetail(
      {
        RoleName: 'deploy',
        RoleId: 'AROA1',
        Arn: `arn:aws:iam::${ACCOUNT}:role/deploy`,
        Path: '/',
        CreateDate: new Date('2025-01-01T00:00:00Z'),
        AssumeRolePolicyDocument: doc(trust),
        RolePolicyList: [{ PolicyName: 'inline', PolicyDocument: doc({ Statement: [] }) }],
        AttachedManagedPolicies: [{ PolicyName: 'ro', PolicyArn: `arn:aws:iam::${ACCOUNT}:policy/ro` }],
        PermissionsBoundary: { PermissionsBoundaryArn: `arn:aws:iam::${ACCOUNT}:policy/boundary` },
        RoleLastUsed: { LastUsedDate: new Date('2026-01-01T00:00:00Z'), Region: 'us-east-1' },
      },
      ACCOUNT,
    ),
  ),
  iam_user: cached(
    mapUserDetail(
      { UserName: 'alice', UserId: 'AIDA1', Arn: `arn:aws:iam::${ACCOUNT}:user/alice`, GroupList: ['devs'] },
      ACCOUNT,
    ),
  ),
  iam_group: cached(
    mapGroupDetail(
      { GroupName: 'devs', GroupId: 'AGPA1', Arn: `arn:aws:iam::${ACCOUNT}:group/devs` },
      ACCOUNT,
    ),
  ),
  managed_policy: cached(
    mapManagedPolicyDetail(
      {
        PolicyName: 'ro',
        PolicyId: 'ANPA1',
        Arn: `arn:aws:iam::${ACCOUNT}:policy/ro`,
        DefaultVersionId: 'v1',
        AttachmentCount: 2,
        IsAttachable: true,
        PolicyVersionList: [{ VersionId: 'v1', IsDefaultVersion: true, Document: doc({ Statement: [] }) }],
      },
      ACCOUNT,
    ),
  ),
  s3_bucket: {
    // The S3 crawler builds its item inline: this is its shape for a bucket without a policy.
    arn: 'arn:aws:s3:::logs',
    itemType: 's3_bucket',
    accountId: ACCOUNT,
    region: 'us-east-1',
    name: 'logs',
    tags: {},
    details: { policy: null, creationDate: '2024-01-01T00:00:00.000Z' },
    ...freshness,
  },
  sqs_queue: cached(
    mapQueue({
      url: `https://sqs.us-east-1.amazonaws.com/${ACCOUNT}/orders`,
      attributes: { QueueArn: `arn:aws:sqs:us-east-1:${ACCOUNT}:orders`, VisibilityTimeout: '30' },
      tags: {},
      accountId: ACCOUNT,
      region: 'us-east-1',
    }),
  ),
  sns_topic: cached(
    mapTopic({
      arn: `arn:aws:sns:us-east-1:${ACCOUNT}:alerts`,
      attributes: { Policy: JSON.stringify({ Statement: [] }), DisplayName: 'Alerts' },
      tags: {},
      accountId: ACCOUNT,
      region: 'us-east-1',
    }),
  ),
  config_resource: cached(
    mapConfigItem(
      {
        resourceType: 'AWS::EC2::Instance',
        resourceId: 'i-0abc',
        configuration: JSON.stringify({ instanceType: 't3.micro' }),
        configurationItemCaptureTime: new Date('2026-01-01T00:00:00Z'),
      },
      ACCOUNT,
      'us-east-1',
    ),
  ),
};

describe('checkCachedItem', () => {
  it.each(Object.entries(crawled))('accepts the %s the crawler records', (itemType, item) => {
    const checked = checkCachedItem(item);
    expect(checked).toMatchObject({ ok: true });
    expect(checked.ok && checked.value.itemType).toBe(itemType);
  });

  it("types a role's details, so its trust policy is read through the item", () => {
    const checked = checkCachedItem(crawled.iam_role);
    if (!checked.ok || checked.value.itemType !== 'iam_role') throw new Error('expected a role');
    expect(checked.value.details.assumeRolePolicyDocument).toEqual(trust);
    expect(checked.value.details.managedPolicies[0]?.name).toBe('ro');
  });

  it("refuses details that are not their item type's, naming what is wrong", () => {
    const withoutTrust = Object.fromEntries(
      Object.entries(crawled.iam_role?.details ?? {}).filter(([key]) => key !== 'assumeRolePolicyDocument'),
    );
    const cases: [CachedItem, RegExp][] = [
      [{ ...(crawled.iam_role as CachedItem), details: withoutTrust }, /iam_role.*assumeRolePolicyDocument/],
      [{ ...(crawled.iam_role as CachedItem), details: crawled.s3_bucket?.details ?? {} }, /iam_role/],
      [{ ...(crawled.s3_bucket as CachedItem), details: {} }, /s3_bucket.*policy/],
      [{ ...(crawled.config_resource as CachedItem), details: { resourceType: '' } }, /config_resource/],
      [
        { ...(crawled.sqs_queue as CachedItem), details: { policy: null, attributes: { a: 1 } } },
        /attributes/,
      ],
    ];
    for (const [item, problem] of cases) {
      const checked = checkCachedItem(item);
      expect(checked.ok).toBe(false);
      expect(!checked.ok && checked.problem).toMatch(problem);
    }
  });

  it('refuses an item whose common fields are wrong before looking at its details', () => {
    const checked = checkCachedItem({ ...crawled.s3_bucket, accountId: 'not-an-account' });
    expect(!checked.ok && checked.problem).toMatch(/accountId/);
    expect(checkCachedItem({ ...crawled.s3_bucket, itemType: 'ec2_instance' }).ok).toBe(false);
    expect(checkCachedItem(null).ok).toBe(false);
  });

  it('keeps fields a newer crawler may add', () => {
    const item = { ...(crawled.sns_topic as CachedItem) };
    item.details = { ...item.details, deliveryPolicy: { retries: 3 } };
    expect(checkCachedItem(item)).toMatchObject({
      ok: true,
      value: { details: { deliveryPolicy: { retries: 3 } } },
    });
  });
});

describe('parseChecked', () => {
  it('says when the text is not JSON', () => {
    expect(parseChecked('{"arn": ', checkCachedItem)).toMatchObject({
      ok: false,
      problem: expect.stringMatching(/^not JSON/) as string,
    });
    expect(parseChecked(JSON.stringify(crawled.sqs_queue), checkCachedItem).ok).toBe(true);
  });
});
