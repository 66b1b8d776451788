/* eslint-disable @typescript-eslint/require-await -- in-memory fakes implement async ports without awaiting */
import { describe, expect, it } from 'vitest';
import {
  IAMClient,
  paginateGetAccountAuthorizationDetails,
  type GetAccountAuthorizationDetailsCommandInput,
} from '@aws-sdk/client-iam';
import { readAuthorizationDetails, type AuthorizationDetailsPage } from './iam-crawler.js';
import { mapManagedPolicyDetail, mapRoleDetail, mapUserDetail } from './iam-mapping.js';

const ACCOUNT = '111111111111';
const trust = {
  Version: '2012-10-17',
  Statement: [{ Effect: 'Allow', Principal: { Service: 'ec2.amazonaws.com' }, Action: 'sts:AssumeRole' }],
};
const inline = { Version: '2012-10-17', Statement: [{ Effect: 'Allow', Action: 'sqs:*', Resource: '*' }] };
const encoded = (value: unknown) => encodeURIComponent(JSON.stringify(value));

const role = (name: string) => ({
  RoleName: name,
  RoleId: `AROA${name}`,
  Arn: `arn:aws:iam::${ACCOUNT}:role/${name}`,
  Path: '/',
  AssumeRolePolicyDocument: encoded(trust),
});

/**
 * An IAM client answering GetAccountAuthorizationDetails from `answer` (by the marker asked for) without
 * any network, so the SDK's real paginator runs against it.
 */
function fakeIam(answer: (marker: string | undefined) => AuthorizationDetailsPage) {
  const client = new IAMClient({
    region: 'us-east-1',
    credentials: { accessKeyId: 'a', secretAccessKey: 's' },
  });
  const asked: (string | undefined)[] = [];
  client.middlewareStack.add(
    () => async (args) => {
      const { Marker } = args.input as GetAccountAuthorizationDetailsCommandInput;
      asked.push(Marker);
      return { output: { $metadata: {}, ...answer(Marker) }, response: {} };
    },
    { step: 'initialize' },
  );
  return { pages: paginateGetAccountAuthorizationDetails({ client }, {}), asked };
}

describe('readAuthorizationDetails', () => {
  it('follows markers across pages and yields every item of every page', async () => {
    const answers: Record<string, AuthorizationDetailsPage> = {
      start: { RoleDetailList: [role('a'), role('b')], Marker: 'm1' },
      m1: {
        RoleDetailList: [role('c')],
        UserDetailList: [{ UserName: 'u', Arn: `arn:aws:iam::${ACCOUNT}:user/u` }],
        Marker: 'm2',
      },
      m2: { GroupDetailList: [{ GroupName: 'g', Arn: `arn:aws:iam::${ACCOUNT}:group/g` }] },
    };
    const { pages, asked } = fakeIam((marker) => answers[marker ?? 'start']!);
    const items = [];
    for await (const item of readAuthorizationDetails(pages, ACCOUNT)) items.push(item);
    expect(asked).toEqual([undefined, 'm1', 'm2']);
    expect(items.map((i) => `${i.itemType}:${i.name}`)).toEqual([
      'iam_role:a',
      'iam_role:b',
      'iam_role:c',
      'iam_user:u',
      'iam_group:g',
    ]);
  });

  it('yields a page before fetching the next, so memory holds one page', async () => {
    let fetched = 0;
    const { pages } = fakeIam(() => {
      fetched += 1;
      return { RoleDetailList: [role(`r${fetched}`)], Marker: `m${fetched}` };
    });
    const iterator = readAuthorizationDetails(pages, ACCOUNT);
    await iterator.next();
    expect(fetched).toBe(1);
    await iterator.return(undefined);
  });

  it('stops with an error when the server repeats a marker instead of looping or ending early', async () => {
    const { pages, asked } = fakeIam(() => ({ RoleDetailList: [role('again')], Marker: 'same' }));
    await expect(async () => {
      for await (const _ of readAuthorizationDetails(pages, ACCOUNT)) void _;
    }).rejects.toThrow(/repeated a marker/);
    expect(asked).toEqual([undefined, 'same']);
  });
});

describe('IAM mapping', () => {
  it('maps a role with decoded documents, policies, boundary, tags and last use', () => {
    const item = mapRoleDetail(
      {
        ...role('app'),
        CreateDate: new Date('2024-01-02T03:04:05Z'),
        RolePolicyList: [{ PolicyName: 'inline', PolicyDocument: encoded(inline) }],
        AttachedManagedPolicies: [{ PolicyName: 'ro', PolicyArn: 'arn:aws:iam::aws:policy/ReadOnlyAccess' }],
        PermissionsBoundary: {
          PermissionsBoundaryType: 'PermissionsBoundaryPolicy',
          PermissionsBoundaryArn: 'arn:b',
        },
        Tags: [{ Key: 'consoleme-authorized', Value: 'a@example.com' }],
        RoleLastUsed: { LastUsedDate: new Date('2024-02-01T00:00:00Z'), Region: 'eu-west-1' },
      },
      ACCOUNT,
    );
    expect(item).toEqual({
      arn: `arn:aws:iam::${ACCOUNT}:role/app`,
      itemType: 'iam_role',
      accountId: ACCOUNT,
      region: 'global',
      name: 'app',
      tags: { 'consoleme-authorized': 'a@example.com' },
      details: {
        path: '/',
        roleId: 'AROAapp',
        createDate: '2024-01-02T03:04:05.000Z',
        assumeRolePolicyDocument: trust,
        inlinePolicies: [{ name: 'inline', document: inline }],
        managedPolicies: [{ name: 'ro', arn: 'arn:aws:iam::aws:policy/ReadOnlyAccess' }],
        permissionsBoundary: { type: 'PermissionsBoundaryPolicy', arn: 'arn:b' },
        lastUsed: { date: '2024-02-01T00:00:00.000Z', region: 'eu-west-1' },
      },
    });
  });

  it('omits last use and boundary when the role has none', () => {
    const details = mapRoleDetail({ ...role('plain'), RoleLastUsed: {} }, ACCOUNT)!.details;
    expect(details).not.toHaveProperty('lastUsed');
    expect(details).not.toHaveProperty('permissionsBoundary');
  });

  it('maps users with groups and a managed policy with its default version document', () => {
    const user = mapUserDetail(
      {
        UserName: 'u',
        Arn: `arn:aws:iam::${ACCOUNT}:user/u`,
        GroupList: ['devs'],
        Tags: [{ Key: 't', Value: 'v' }],
      },
      ACCOUNT,
    )!;
    expect(user.details).toMatchObject({ groups: ['devs'], inlinePolicies: [], managedPolicies: [] });
    expect(user.tags).toEqual({ t: 'v' });
    const policy = mapManagedPolicyDetail(
      {
        Arn: `arn:aws:iam::${ACCOUNT}:policy/team/p`,
        DefaultVersionId: 'v2',
        AttachmentCount: 3,
        PolicyVersionList: [
          { VersionId: 'v1', IsDefaultVersion: false, Document: encoded(trust) },
          { VersionId: 'v2', IsDefaultVersion: true, Document: encoded(inline) },
        ],
      },
      ACCOUNT,
    )!;
    expect(policy.name).toBe('p');
    expect(policy.details).toMatchObject({ document: inline, attachmentCount: 3, defaultVersionId: 'v2' });
  });

  it('skips entries without an ARN rather than publishing an item without a key', () => {
    expect(mapRoleDetail({ RoleName: 'x' }, ACCOUNT)).toBeUndefined();
  });
});
