import type { ChangeModel } from '@rolecall/shared/contracts';
import { describe, expect, it } from 'vitest';
import { reviewChange, withoutReview, withReviews } from './review-change.js';

const ROLE = 'arn:aws:iam::222222222222:role/dev-app';
const principal = { principal_type: 'AwsResource', principal_arn: ROLE } as const;
const doc = (...Statement: Record<string, unknown>[]) => ({ Version: '2012-10-17', Statement });

describe('reviewChange', () => {
  it('checks an inline policy and lists what it adds over the policy it updates', async () => {
    const review = await reviewChange({
      principal,
      change_type: 'inline_policy',
      action: 'attach',
      new: false,
      policy_name: 'p',
      old_policy: { policy_document: doc({ Effect: 'Allow', Action: 'sqs:SendMessage', Resource: '*' }) },
      policy: {
        policy_document: JSON.stringify(
          doc({ Effect: 'Allow', Action: ['sqs:SendMessage', 'sqs:PurgeQueue', 'sqs:Fetch'], Resource: '*' }),
        ),
      },
    });
    expect(review?.findings.map((f) => f.code)).toEqual(['UNKNOWN_ACTION']);
    expect(review?.newly_granted).toEqual({
      added: [{ service: 'sqs', accessLevel: 'Write', actions: ['sqs:PurgeQueue'], resources: ['*'] }],
      removed: [],
    });
  });

  it('treats a new inline policy as replacing nothing, whatever old_policy says', async () => {
    const review = await reviewChange({
      principal,
      change_type: 'inline_policy',
      action: 'attach',
      policy_name: 'p',
      old_policy: { policy_document: doc({ Effect: 'Allow', Action: 'sqs:SendMessage', Resource: '*' }) },
      policy: { policy_document: doc({ Effect: 'Allow', Action: 'sqs:SendMessage', Resource: '*' }) },
    });
    expect(review?.newly_granted.added.flatMap((g) => g.actions)).toEqual(['sqs:SendMessage']);
  });

  it('checks a resource policy as one and a trust policy as one', async () => {
    const bucket = await reviewChange({
      principal,
      change_type: 'resource_policy',
      arn: 'arn:aws:s3:::b',
      policy: {
        policy_document: doc({
          Effect: 'Allow',
          Principal: '*',
          Action: 's3:GetObject',
          Resource: 'arn:aws:s3:::b/*',
        }),
      },
    });
    expect(bucket?.findings.map((f) => f.code)).toEqual(['PUBLIC_RESOURCE_POLICY']);
    const trust = await reviewChange({
      principal,
      change_type: 'assume_role_policy',
      policy: {
        policy_document: doc({ Effect: 'Allow', Principal: { AWS: '*' }, Action: 'sts:AssumeRole' }),
      },
    });
    expect(trust?.findings.map((f) => f.code)).toEqual(['PUBLIC_RESOURCE_POLICY']);
  });

  it('lists what a detach withdraws', async () => {
    const review = await reviewChange({
      principal,
      change_type: 'inline_policy',
      action: 'detach',
      policy_name: 'p',
      old_policy: { policy_document: doc({ Effect: 'Allow', Action: 'sns:Publish', Resource: '*' }) },
    });
    expect(review?.findings).toEqual([]);
    expect(review?.newly_granted.removed.flatMap((g) => g.actions)).toEqual(['sns:Publish']);
  });

  it('has nothing to say about a change without a document', async () => {
    expect(
      await reviewChange({
        principal,
        change_type: 'managed_policy',
        action: 'attach',
        arn: 'arn:aws:iam::aws:policy/ReadOnlyAccess',
      }),
    ).toBeUndefined();
  });
});

describe('withReviews', () => {
  it('replaces review fields a client sent with computed ones, and drops them where none apply', async () => {
    const forged = { findings: [], newly_granted: { added: [], removed: [] } };
    const inline = {
      principal,
      change_type: 'inline_policy',
      action: 'attach',
      policy_name: 'p',
      policy: { policy_document: doc({ Effect: 'Allow', Action: 'iam:PassRole', Resource: '*' }) },
      ...forged,
    } as ChangeModel;
    const tag = {
      principal,
      change_type: 'resource_tag',
      tag_action: 'create',
      key: 'k',
      value: 'v',
      ...forged,
    } as ChangeModel;
    const [reviewed, tagged] = await withReviews([inline, tag]);
    expect(reviewed?.findings?.map((f) => f.code)).toEqual(['PRIVILEGE_ESCALATION']);
    expect(reviewed?.newly_granted?.added.flatMap((g) => g.actions)).toEqual(['iam:PassRole']);
    expect(tagged).not.toHaveProperty('findings');
    expect(withoutReview(inline)).not.toHaveProperty('newly_granted');
  });
});
