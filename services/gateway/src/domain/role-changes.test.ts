import type { CachedItem, CloneRoleRequestModel } from '@rolecall/shared/contracts';
import { describe, expect, it } from 'vitest';
import { buildCloneRoleChange, buildCreateRoleChange } from './role-changes.js';

const SOURCE = '111111111111';
const DEST = '222222222222';
const trust = {
  Version: '2012-10-17',
  Statement: [{ Effect: 'Allow', Principal: { AWS: '*' }, Action: 'sts:AssumeRole' }],
};
const read = {
  Version: '2012-10-17',
  Statement: [{ Effect: 'Allow', Action: 's3:GetObject', Resource: '*' }],
};

const source: CachedItem = {
  arn: `arn:aws:iam::${SOURCE}:role/apps/web`,
  itemType: 'iam_role',
  accountId: SOURCE,
  region: 'global',
  name: 'web',
  tags: { owner: 'team-web', 'aws:cloudformation:stack-name': 'web', 'rolecall:created-by-request': 'r1' },
  details: {
    path: '/apps/',
    roleId: 'AROAWEB',
    description: 'The web tier',
    maxSessionDuration: 7200,
    assumeRolePolicyDocument: trust,
    inlinePolicies: [{ name: 'read', document: read }],
    managedPolicies: [
      { name: 'ReadOnlyAccess', arn: 'arn:aws:iam::aws:policy/ReadOnlyAccess' },
      { name: 'team', arn: `arn:aws:iam::${SOURCE}:policy/shared/team` },
    ],
    permissionsBoundary: { type: 'Policy', arn: `arn:aws:iam::${SOURCE}:policy/boundary` },
  },
  firstSeenAt: '2030-01-01T00:00:00Z',
  lastSeenAt: '2030-01-01T00:00:00Z',
  lastCrawlId: 'c1',
  lastJobId: 'j1',
  contentHash: 'h',
};
const clone = (options: CloneRoleRequestModel['options']): CloneRoleRequestModel => ({
  account_id: SOURCE,
  role_name: 'web',
  dest_account_id: DEST,
  dest_role_name: 'web-copy',
  options,
});

describe('building the create_role change of a clone', () => {
  it('takes every chosen part, with customer policies moved to the destination account', () => {
    expect(
      buildCloneRoleChange(
        source,
        clone({
          assume_role_policy: true,
          tags: true,
          copy_description: true,
          inline_policies: true,
          managed_policies: true,
          max_session_duration: true,
          boundary: true,
          instance_profile: true,
        }),
      ),
    ).toEqual({
      change_type: 'create_role',
      principal: { principal_type: 'AwsResource', principal_arn: `arn:aws:iam::${DEST}:role/apps/web-copy` },
      cloned_from: source.arn,
      instance_profile: true,
      // Not in the cache: the requests service reads them from the source role.
      copy_from_source: ['description', 'max_session_duration'],
      assume_role_policy: { policy_document: trust },
      inline_policies: [{ policy_name: 'read', policy_document: read }],
      managed_policy_arns: [
        'arn:aws:iam::aws:policy/ReadOnlyAccess',
        `arn:aws:iam::${DEST}:policy/shared/team`,
      ],
      permissions_boundary_arn: `arn:aws:iam::${DEST}:policy/boundary`,
      // AWS's reserved tags and Rolecall's mark describe the source, not the clone.
      tags: [{ Key: 'owner', Value: 'team-web' }],
    });
  });

  it('takes nothing that was not chosen: the trust is then the account default, set by the request', () => {
    expect(buildCloneRoleChange(source, clone({ description: 'a copy' }))).toEqual({
      change_type: 'create_role',
      principal: { principal_type: 'AwsResource', principal_arn: `arn:aws:iam::${DEST}:role/apps/web-copy` },
      cloned_from: source.arn,
      instance_profile: false,
      description: 'a copy',
    });
  });
});

describe('building the create_role change of POST /api/v2/roles', () => {
  it("gives an instance profile by default, as ConsoleMe, and leaves the trust to the account's default", () => {
    expect(buildCreateRoleChange({ account_id: SOURCE, role_name: 'new' })).toEqual({
      change_type: 'create_role',
      principal: { principal_type: 'AwsResource', principal_arn: `arn:aws:iam::${SOURCE}:role/new` },
      instance_profile: true,
    });
  });
});
