import { describe, expect, it } from 'vitest';
import { cachedItem } from '@rolecall/testing';
import { buildSummary, technologyOf } from './summary.js';

describe('item summary', () => {
  it('uses the AWS type for IAM roles and the resource type for AWS Config items', () => {
    expect(technologyOf({ itemType: 'iam_role', details: {} })).toBe('AWS::IAM::Role');
    expect(technologyOf({ itemType: 'managed_policy', details: {} })).toBe('managed_policy');
    expect(
      technologyOf({ itemType: 'config_resource', details: { resourceType: 'AWS::EC2::Instance' } }),
    ).toBe('AWS::EC2::Instance');
  });

  it('keeps the listing fields and drops the details', () => {
    const item = cachedItem({
      arn: 'arn:aws:s3:::bucket',
      itemType: 's3_bucket',
      accountId: '111111111111',
      region: 'us-east-1',
      name: 'bucket',
      tags: { a: 'b' },
      details: { policy: { Statement: [] } },
      lastSeenAt: '2026-01-02T00:00:00.000Z',
    });
    expect(buildSummary(item)).toEqual({
      arn: 'arn:aws:s3:::bucket',
      itemType: 's3_bucket',
      technology: 'AWS::S3::Bucket',
      accountId: '111111111111',
      region: 'us-east-1',
      name: 'bucket',
      tags: { a: 'b' },
      lastSeenAt: '2026-01-02T00:00:00.000Z',
    });
  });
});
