import { cachedItem } from '@rolecall/testing';
import { describe, expect, it } from 'vitest';
import { resourceArnFromPath, toResourceModel, toRoleModel, toTagList } from './consoleme-shapes.js';
import { toPolicyRow } from './policy-table.js';

/** When the items below were last seen, and by which crawl: what the models show as freshness. */
const seen = { lastSeenAt: '2026-02-01T00:00:00.000Z', lastCrawlId: 'c1' };

describe('ConsoleMe shape mapping', () => {
  it('maps a role with no boundary, no description and no last use to the minimal principal model', () => {
    const item = cachedItem({
      ...seen,
      arn: 'arn:aws:iam::123456789012:role/app/web',
      itemType: 'iam_role',
      accountId: '123456789012',
      name: 'web',
      tags: { b: '2', a: '1' },
      details: {
        path: '/app/',
        roleId: 'R',
        assumeRolePolicyDocument: { Version: '2012-10-17' },
        inlinePolicies: [],
        managedPolicies: [],
      },
    });
    expect(toRoleModel(item, 'prod')).toEqual({
      name: 'web',
      account_id: '123456789012',
      account_name: 'prod',
      arn: 'arn:aws:iam::123456789012:role/app/web',
      inline_policies: [],
      assume_role_policy_document: { Version: '2012-10-17' },
      managed_policies: [],
      permissions_boundary: {},
      tags: [
        { Key: 'a', Value: '1' },
        { Key: 'b', Value: '2' },
      ],
      templated: false,
      last_seen: '2026-02-01T00:00:00.000Z',
      last_crawl_id: 'c1',
    });
  });

  it('keeps every other resource attribute, PascalCased, next to Policy and TagSet', () => {
    const item = cachedItem({
      ...seen,
      arn: 'arn:aws:sqs:us-east-1:123456789012:q',
      itemType: 'sqs_queue',
      accountId: '123456789012',
      name: 'q',
      tags: {},
      details: { policyDocument: { Statement: [] }, queueUrl: 'https://q', visibilityTimeout: 30 },
    });
    expect(toResourceModel(item, 'prod').resource_details).toEqual({
      Policy: { Statement: [] },
      TagSet: [],
      QueueUrl: 'https://q',
      VisibilityTimeout: 30,
    });
  });

  it('builds the ARN each ConsoleMe resource URL names, and refuses malformed ones', () => {
    expect(resourceArnFromPath('123456789012', 's3', 'my.bucket-1')).toEqual({
      ok: true,
      itemType: 's3_bucket',
      arn: 'arn:aws:s3:::my.bucket-1',
    });
    expect(resourceArnFromPath('123456789012', 'sns', 'eu-west-1/topic.fifo')).toMatchObject({
      arn: 'arn:aws:sns:eu-west-1:123456789012:topic.fifo',
    });
    expect(resourceArnFromPath('123456789012', 'managed_policy', 'a/b/Pol')).toMatchObject({
      arn: 'arn:aws:iam::123456789012:policy/a/b/Pol',
    });
    expect(resourceArnFromPath('123456789012', 's3', 'a/b').ok).toBe(false);
    expect(resourceArnFromPath('123456789012', 'sqs', 'us-east-1/a/b').ok).toBe(false);
    expect(resourceArnFromPath('123456789012', 'managed_policy', '').ok).toBe(false);
  });

  it('gives policy rows ConsoleMe columns with the account name looked up', () => {
    const row = toPolicyRow(
      {
        arn: 'arn:x',
        itemType: 'managed_policy',
        technology: 'managed_policy',
        accountId: '1',
        region: 'global',
        name: 'p',
        tags: {},
        lastSeenAt: 't',
      },
      (id) => (id === '1' ? 'one' : 'Unknown'),
    );
    expect(row).toEqual({
      account_id: '1',
      account_name: 'one',
      arn: 'arn:x',
      technology: 'managed_policy',
      templated: false,
      errors: 0,
      last_seen: 't',
    });
    expect(toTagList({})).toEqual([]);
  });
});
