import type { ChangeModel, ExtendedRequestModel } from '@rolecall/shared/contracts';
import { describe, expect, it } from 'vitest';
import { stateAfterRequest } from './state-after-request.js';
import type { PrincipalState, ResourceState, TargetState } from './target-state.js';

const ROLE = 'arn:aws:iam::111111111111:role/app';
const BUCKET = 'arn:aws:s3:::data';
const principal = { principal_type: 'AwsResource' as const, principal_arn: ROLE };
const grant = (action: string, resource: string) => ({
  policy_document: {
    Version: '2012-10-17',
    Statement: [{ Effect: 'Allow', Action: [action], Resource: [resource] }],
  },
});

const role: PrincipalState = {
  kind: 'principal',
  arn: ROLE,
  accountId: '111111111111',
  principalType: 'role',
  inlinePolicies: {},
  managedPolicies: [],
  tags: {},
};
const bucket: ResourceState = {
  kind: 'resource',
  arn: BUCKET,
  accountId: '222222222222',
  resourceType: 's3_bucket',
  policy: null,
  tags: {},
};

const requestOf = (changes: ChangeModel[]): ExtendedRequestModel => ({
  id: 'req-1',
  version: 1,
  principal,
  timestamp: '2030-01-01T00:00:00Z',
  requester_email: 'alice@example.com',
  approvers: [],
  request_status: 'pending',
  cross_account: true,
  admin_auto_approve: false,
  changes: { changes },
  requester_info: { email: 'alice@example.com' },
  comments: [],
  approvals: [],
  last_updated: '2030-01-01T00:00:00Z',
});

const cache = (states: TargetState[]) => (arn: string) => Promise.resolve(states.find((s) => s.arn === arn));

describe('stateAfterRequest', () => {
  it("applies each change to the state the earlier ones left, with the apply's own planner", async () => {
    const request = requestOf([
      {
        change_type: 'inline_policy',
        action: 'attach',
        policy_name: 'read',
        principal,
        policy: grant('s3:GetObject', `${BUCKET}/*`),
      },
      {
        change_type: 'inline_policy',
        action: 'attach',
        policy_name: 'list',
        principal,
        policy: grant('s3:ListBucket', BUCKET),
      },
      {
        change_type: 'resource_policy',
        arn: BUCKET,
        principal,
        policy: {
          policy_document: {
            Version: '2012-10-17',
            Statement: [
              {
                Effect: 'Allow',
                Principal: { AWS: ROLE },
                Action: ['s3:GetObject'],
                Resource: [`${BUCKET}/*`],
              },
            ],
          },
        },
      },
    ]);
    const { overlay, notes } = await stateAfterRequest(request, cache([role, bucket]));
    expect(notes).toEqual([]);
    const after = overlay.get(ROLE);
    expect(after?.kind === 'principal' && Object.keys(after.inlinePolicies).sort()).toEqual(['list', 'read']);
    const policy = overlay.get(BUCKET);
    expect(policy?.kind === 'resource' && policy.policy).toMatchObject({
      Statement: [{ Effect: 'Allow', Principal: { AWS: ROLE }, Action: ['s3:GetObject'] }],
    });
  });

  it('leaves cancelled changes out and says which targets are not cached', async () => {
    const request = requestOf([
      {
        change_type: 'inline_policy',
        action: 'attach',
        policy_name: 'read',
        status: 'cancelled',
        principal,
        policy: grant('s3:GetObject', `${BUCKET}/*`),
      },
      {
        change_type: 'managed_policy',
        action: 'attach',
        arn: 'arn:aws:iam::111111111111:policy/p',
        principal: { ...principal, principal_arn: 'arn:aws:iam::111111111111:role/gone' },
      },
    ]);
    const { overlay, notes } = await stateAfterRequest(request, cache([role]));
    expect(overlay.size).toBe(0);
    expect(notes).toEqual([
      'change 1 of request req-1 edits arn:aws:iam::111111111111:role/gone, which is not in the cache: left out',
    ]);
  });
});
