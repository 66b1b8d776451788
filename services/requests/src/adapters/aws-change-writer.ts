import {
  AddRoleToInstanceProfileCommand,
  AttachGroupPolicyCommand,
  AttachRolePolicyCommand,
  AttachUserPolicyCommand,
  CreatePolicyCommand,
  CreatePolicyVersionCommand,
  CreateInstanceProfileCommand,
  CreateRoleCommand,
  DeleteInstanceProfileCommand,
  DeleteRoleCommand,
  DeleteGroupPolicyCommand,
  DeletePolicyVersionCommand,
  DeleteRolePermissionsBoundaryCommand,
  DeleteRolePolicyCommand,
  DeleteUserPermissionsBoundaryCommand,
  DeleteUserPolicyCommand,
  DetachGroupPolicyCommand,
  DetachRolePolicyCommand,
  DetachUserPolicyCommand,
  GetGroupPolicyCommand,
  GetInstanceProfileCommand,
  GetPolicyCommand,
  GetPolicyVersionCommand,
  GetRoleCommand,
  GetRolePolicyCommand,
  GetUserCommand,
  GetUserPolicyCommand,
  ListPolicyVersionsCommand,
  PutGroupPolicyCommand,
  PutRolePermissionsBoundaryCommand,
  PutRolePolicyCommand,
  PutUserPermissionsBoundaryCommand,
  PutUserPolicyCommand,
  RemoveRoleFromInstanceProfileCommand,
  TagPolicyCommand,
  TagRoleCommand,
  TagUserCommand,
  UntagPolicyCommand,
  UntagRoleCommand,
  UntagUserCommand,
  UpdateAssumeRolePolicyCommand,
  paginateListAttachedGroupPolicies,
  paginateListAttachedRolePolicies,
  paginateListAttachedUserPolicies,
  paginateListInstanceProfilesForRole,
  paginateListPolicyTags,
  paginateListRolePolicies,
  paginateListRoleTags,
  paginateListUserPolicies,
  paginateListUserTags,
  type Tag,
} from '@aws-sdk/client-iam';
import {
  DeleteBucketPolicyCommand,
  DeleteBucketTaggingCommand,
  GetBucketPolicyCommand,
  GetBucketTaggingCommand,
  PutBucketPolicyCommand,
  PutBucketTaggingCommand,
} from '@aws-sdk/client-s3';
import {
  GetTopicAttributesCommand,
  ListTagsForResourceCommand,
  SetTopicAttributesCommand,
  TagResourceCommand,
  UntagResourceCommand,
} from '@aws-sdk/client-sns';
import {
  GetQueueAttributesCommand,
  GetQueueUrlCommand,
  ListQueueTagsCommand,
  SetQueueAttributesCommand,
  TagQueueCommand,
  UntagQueueCommand,
} from '@aws-sdk/client-sqs';
import { isAwsErrorNamed, translateAwsError } from '@rolecall/shared/aws';
import type { Tags } from '@rolecall/shared/contracts';
import { AppError, type ErrorCode } from '@rolecall/shared/errors';
import { canonicalJson, parseArn } from '@rolecall/shared/iam';
import type {
  ManagedPolicyState,
  PrincipalState,
  ResourceState,
  TargetState,
} from '../domain/target-state.js';
import { targetArnOf } from '../domain/target-state.js';
import { CREATED_BY_TAG } from '../domain/role-lifecycle.js';
import type { Write } from '../domain/policy-edit.js';
import type { AccountClients, SpokeClients } from './spoke-clients.js';
import type { WriteOutcome, ChangeWriter, RoleDescriber } from '../domain/ports.js';
export type { WriteOutcome, ChangeWriter };

const APPLIED: WriteOutcome = { outcome: 'applied' };
const UNCHANGED: WriteOutcome = { outcome: 'unchanged' };

const NOT_FOUND_ERRORS = [
  'NoSuchEntity',
  'NoSuchEntityException',
  'NoSuchBucket',
  'NotFound',
  'NotFoundException',
  'AWS.SimpleQueueService.NonExistentQueue',
  'QueueDoesNotExist',
];
/** Refusals that no retry fixes: the document or the input is wrong, or a quota is reached. */
const INVALID_ERRORS = [
  'MalformedPolicyDocument',
  'MalformedPolicyDocumentException',
  'MalformedPolicy',
  'InvalidInput',
  'InvalidInputException',
  'InvalidParameter',
  'InvalidParameterException',
  'InvalidParameterValue',
  'InvalidAttributeValue',
  'InvalidAttributeName',
  'ValidationError',
  'LimitExceeded',
  'LimitExceededException',
  'EntityAlreadyExists',
  'UnmodifiableEntity',
  'PolicyNotAttachable',
  'InvalidTag',
];

/** An AWS exception as an AppError: NOT_FOUND and VALIDATION_FAILED where AWS says so, else translated. */
function awsFailure(error: unknown, context: Record<string, unknown>): AppError {
  const translated = translateAwsError(error, context);
  const code: ErrorCode | undefined = isAwsErrorNamed(error, ...NOT_FOUND_ERRORS)
    ? 'NOT_FOUND'
    : isAwsErrorNamed(error, ...INVALID_ERRORS)
      ? 'VALIDATION_FAILED'
      : undefined;
  return code
    ? new AppError(code, translated.message, { cause: error, context: translated.context })
    : translated;
}

/** IAM answers documents URL-encoded; moto sometimes does not. */
function parseDocument(text: string | undefined): Record<string, unknown> | undefined {
  if (text === undefined || text === '') return undefined;
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    parsed = JSON.parse(decodeURIComponent(text));
  }
  return parsed as Record<string, unknown>;
}

const sameDocument = (a: unknown, b: unknown) => canonicalJson(a) === canonicalJson(b);
const sameArn = (a: string | undefined, b: string) => a !== undefined && a.toLowerCase() === b.toLowerCase();
const tagsOf = (tags: readonly Tag[] | undefined): Tags =>
  Object.fromEntries((tags ?? []).map((t) => [t.Key ?? '', t.Value ?? '']));

type IamEntity = 'role' | 'user' | 'group' | 'policy';
interface Target {
  service: 'iam' | 's3' | 'sqs' | 'sns';
  /** IAM: the entity type; others: the service's resource. */
  entity: IamEntity | 's3_bucket' | 'sqs_queue' | 'sns_topic';
  arn: string;
  name: string;
  /** IAM managed policies: `/path/`. */
  path: string;
  region: string;
  accountId: string;
}

/** What an ARN names, checked against the account the write is made in. */
function targetOf(arn: string, accountId: string): Target {
  const parts = parseArn(arn);
  const invalid = (why: string) =>
    new AppError('VALIDATION_FAILED', `cannot change ${arn}: ${why}`, { context: { arn, accountId } });
  if (!parts) throw invalid('it is not an ARN');
  if (parts.account !== '' && parts.account !== accountId && parts.account !== 'aws') {
    throw invalid(`it is in account ${parts.account}, not ${accountId}`);
  }
  const base = { arn, region: parts.region, accountId, path: '/' };
  switch (parts.service) {
    case 'iam': {
      const slash = parts.resource.indexOf('/');
      const entity = parts.resource.slice(0, slash);
      if (slash < 0 || !['role', 'user', 'group', 'policy'].includes(entity)) {
        throw invalid('Rolecall changes IAM roles, users, groups and managed policies only');
      }
      const rest = parts.resource.slice(slash);
      const name = rest.slice(rest.lastIndexOf('/') + 1);
      return {
        ...base,
        service: 'iam',
        entity: entity as IamEntity,
        name,
        path: rest.slice(0, rest.lastIndexOf('/') + 1),
      };
    }
    case 's3':
      if (parts.resource.includes('/')) throw invalid('an S3 change names a bucket, not an object');
      return { ...base, service: 's3', entity: 's3_bucket', name: parts.resource };
    case 'sqs':
      return { ...base, service: 'sqs', entity: 'sqs_queue', name: parts.resource };
    case 'sns':
      return { ...base, service: 'sns', entity: 'sns_topic', name: parts.resource };
    default:
      throw invalid(`Rolecall does not change ${parts.service} resources`);
  }
}

/** The access policy SNS gives every new topic: what "no policy" means for a topic, which always has one. */
export function defaultTopicPolicy(topicArn: string, accountId: string): Record<string, unknown> {
  return {
    Version: '2008-10-17',
    Id: '__default_policy_ID',
    Statement: [
      {
        Sid: '__default_statement_ID',
        Effect: 'Allow',
        Principal: { AWS: '*' },
        Action: [
          'SNS:GetTopicAttributes',
          'SNS:SetTopicAttributes',
          'SNS:AddPermission',
          'SNS:RemovePermission',
          'SNS:DeleteTopic',
          'SNS:Subscribe',
          'SNS:ListSubscriptionsByTopic',
          'SNS:Publish',
        ],
        Resource: topicArn,
        Condition: { StringEquals: { 'AWS:SourceOwner': accountId } },
      },
    ],
  };
}

/** IAM keeps at most five versions of a managed policy. */
const MAX_POLICY_VERSIONS = 5;

/**
 * The ChangeWriter over the AWS SDK, in each account through the spoke clients. The documents, ARNs
 * and tags come computed by the domain (the merge is its job); this only compares with AWS and writes.
 */
export function createAwsChangeWriter(options: { spokes: SpokeClients }): ChangeWriter {
  const { spokes } = options;

  /** Runs one AWS call, its failure an AppError naming the operation and what it was on. */
  const call = async <T>(operation: string, target: Target, run: () => Promise<T>): Promise<T> => {
    try {
      return await run();
    } catch (error) {
      throw awsFailure(error, { operation, arn: target.arn, accountId: target.accountId });
    }
  };
  /** Like `call`, with "does not exist" as undefined. */
  const callOrAbsent = async <T>(
    operation: string,
    target: Target,
    run: () => Promise<T>,
    absent: string[] = NOT_FOUND_ERRORS,
  ): Promise<T | undefined> => {
    try {
      return await run();
    } catch (error) {
      if (isAwsErrorNamed(error, ...absent)) return undefined;
      throw awsFailure(error, { operation, arn: target.arn, accountId: target.accountId });
    }
  };
  const collect = async <Page, Item>(
    operation: string,
    target: Target,
    pages: AsyncIterable<Page>,
    items: (page: Page) => Item[] | undefined,
  ): Promise<Item[]> =>
    call(operation, target, async () => {
      const all: Item[] = [];
      for await (const page of pages) all.push(...(items(page) ?? []));
      return all;
    });

  const principalKind = (target: Target, ...allowed: IamEntity[]) => {
    if (target.service !== 'iam' || !allowed.includes(target.entity as IamEntity)) {
      throw new AppError(
        'VALIDATION_FAILED',
        `${target.arn} is not an IAM ${allowed.join(' or ')}, which this change needs`,
        { context: { arn: target.arn } },
      );
    }
    return target.entity as IamEntity;
  };

  // IAM principals.

  const readInlinePolicy = async (c: AccountClients, target: Target, name: string) => {
    const kind = principalKind(target, 'role', 'user', 'group');
    const document =
      kind === 'role'
        ? await callOrAbsent('GetRolePolicy', target, () =>
            c.iam.send(new GetRolePolicyCommand({ RoleName: target.name, PolicyName: name })),
          )
        : kind === 'user'
          ? await callOrAbsent('GetUserPolicy', target, () =>
              c.iam.send(new GetUserPolicyCommand({ UserName: target.name, PolicyName: name })),
            )
          : await callOrAbsent('GetGroupPolicy', target, () =>
              c.iam.send(new GetGroupPolicyCommand({ GroupName: target.name, PolicyName: name })),
            );
    return parseDocument(document?.PolicyDocument);
  };

  const listAttached = async (c: AccountClients, target: Target): Promise<string[]> => {
    const kind = principalKind(target, 'role', 'user', 'group');
    const client = { client: c.iam };
    if (kind === 'role') {
      return collect(
        'ListAttachedRolePolicies',
        target,
        paginateListAttachedRolePolicies(client, { RoleName: target.name }),
        (p) => p.AttachedPolicies?.map((a) => a.PolicyArn ?? ''),
      );
    }
    if (kind === 'user') {
      return collect(
        'ListAttachedUserPolicies',
        target,
        paginateListAttachedUserPolicies(client, { UserName: target.name }),
        (p) => p.AttachedPolicies?.map((a) => a.PolicyArn ?? ''),
      );
    }
    return collect(
      'ListAttachedGroupPolicies',
      target,
      paginateListAttachedGroupPolicies(client, { GroupName: target.name }),
      (p) => p.AttachedPolicies?.map((a) => a.PolicyArn ?? ''),
    );
  };

  /** The role or user itself (boundary, trust policy); NOT_FOUND when it does not exist. */
  const getPrincipal = async (c: AccountClients, target: Target) => {
    const kind = principalKind(target, 'role', 'user');
    if (kind === 'role') {
      const { Role } = await call('GetRole', target, () =>
        c.iam.send(new GetRoleCommand({ RoleName: target.name })),
      );
      return {
        boundary: Role?.PermissionsBoundary?.PermissionsBoundaryArn,
        trust: parseDocument(Role?.AssumeRolePolicyDocument),
      };
    }
    const { User } = await call('GetUser', target, () =>
      c.iam.send(new GetUserCommand({ UserName: target.name })),
    );
    return { boundary: User?.PermissionsBoundary?.PermissionsBoundaryArn, trust: undefined };
  };

  const readPrincipal = async (c: AccountClients, target: Target): Promise<PrincipalState> => {
    const kind = principalKind(target, 'role', 'user') as 'role' | 'user';
    const { boundary, trust } = await getPrincipal(c, target);
    const client = { client: c.iam };
    const names =
      kind === 'role'
        ? await collect(
            'ListRolePolicies',
            target,
            paginateListRolePolicies(client, { RoleName: target.name }),
            (p) => p.PolicyNames,
          )
        : await collect(
            'ListUserPolicies',
            target,
            paginateListUserPolicies(client, { UserName: target.name }),
            (p) => p.PolicyNames,
          );
    const inlinePolicies: Record<string, unknown> = {};
    for (const name of names) {
      const document = await readInlinePolicy(c, target, name);
      if (document !== undefined) inlinePolicies[name] = document;
    }
    const tags =
      kind === 'role'
        ? await collect(
            'ListRoleTags',
            target,
            paginateListRoleTags(client, { RoleName: target.name }),
            (p) => p.Tags,
          )
        : await collect(
            'ListUserTags',
            target,
            paginateListUserTags(client, { UserName: target.name }),
            (p) => p.Tags,
          );
    return {
      kind: 'principal',
      arn: target.arn,
      accountId: target.accountId,
      principalType: kind,
      inlinePolicies,
      managedPolicies: await listAttached(c, target),
      permissionsBoundary: boundary,
      ...(kind === 'role' ? { assumeRolePolicy: trust } : {}),
      tags: tagsOf(tags),
    };
  };

  // Managed policies.

  const readManagedPolicy = async (c: AccountClients, target: Target) => {
    const policy = await callOrAbsent('GetPolicy', target, () =>
      c.iam.send(new GetPolicyCommand({ PolicyArn: target.arn })),
    );
    if (!policy?.Policy) return undefined;
    const versionId = policy.Policy.DefaultVersionId ?? '';
    const version = await call('GetPolicyVersion', target, () =>
      c.iam.send(new GetPolicyVersionCommand({ PolicyArn: target.arn, VersionId: versionId })),
    );
    return { document: parseDocument(version.PolicyVersion?.Document), defaultVersionId: versionId };
  };

  const readManagedPolicyState = async (c: AccountClients, target: Target): Promise<ManagedPolicyState> => {
    principalKind(target, 'policy');
    const current = await readManagedPolicy(c, target);
    const tags = current
      ? await collect(
          'ListPolicyTags',
          target,
          paginateListPolicyTags({ client: c.iam }, { PolicyArn: target.arn }),
          (p) => p.Tags,
        )
      : [];
    return {
      kind: 'managed_policy',
      arn: target.arn,
      accountId: target.accountId,
      awsManaged: parseArn(target.arn)?.account === 'aws',
      document: current?.document,
      tags: tagsOf(tags),
    };
  };

  // Resource policies and tags of buckets, queues and topics.

  const queueUrl = async (c: AccountClients, target: Target) => {
    const result = await call('GetQueueUrl', target, () =>
      c
        .sqs(target.region)
        .send(new GetQueueUrlCommand({ QueueName: target.name, QueueOwnerAWSAccountId: target.accountId })),
    );
    return result.QueueUrl ?? '';
  };

  const readResourcePolicy = async (
    c: AccountClients,
    target: Target,
  ): Promise<Record<string, unknown> | undefined> => {
    switch (target.entity) {
      case 's3_bucket': {
        const result = await callOrAbsent(
          'GetBucketPolicy',
          target,
          () => c.s3.send(new GetBucketPolicyCommand({ Bucket: target.name })),
          ['NoSuchBucketPolicy'],
        );
        return parseDocument(result?.Policy);
      }
      case 'sqs_queue': {
        const url = await queueUrl(c, target);
        const result = await call('GetQueueAttributes', target, () =>
          c
            .sqs(target.region)
            .send(new GetQueueAttributesCommand({ QueueUrl: url, AttributeNames: ['Policy'] })),
        );
        return parseDocument(result.Attributes?.Policy);
      }
      case 'sns_topic': {
        const result = await call('GetTopicAttributes', target, () =>
          c.sns(target.region).send(new GetTopicAttributesCommand({ TopicArn: target.arn })),
        );
        return parseDocument(result.Attributes?.Policy);
      }
      default:
        throw new AppError('VALIDATION_FAILED', `${target.arn} is not an S3 bucket, SQS queue or SNS topic`);
    }
  };

  const readTags = async (c: AccountClients, target: Target): Promise<Tags> => {
    const client = { client: c.iam };
    switch (target.entity) {
      case 'role':
        return tagsOf(
          await collect(
            'ListRoleTags',
            target,
            paginateListRoleTags(client, { RoleName: target.name }),
            (p) => p.Tags,
          ),
        );
      case 'user':
        return tagsOf(
          await collect(
            'ListUserTags',
            target,
            paginateListUserTags(client, { UserName: target.name }),
            (p) => p.Tags,
          ),
        );
      case 'policy':
        return tagsOf(
          await collect(
            'ListPolicyTags',
            target,
            paginateListPolicyTags(client, { PolicyArn: target.arn }),
            (p) => p.Tags,
          ),
        );
      case 's3_bucket': {
        const result = await callOrAbsent(
          'GetBucketTagging',
          target,
          () => c.s3.send(new GetBucketTaggingCommand({ Bucket: target.name })),
          ['NoSuchTagSet', 'NoSuchTagSetError'],
        );
        return tagsOf(result?.TagSet);
      }
      case 'sqs_queue': {
        const url = await queueUrl(c, target);
        const result = await call('ListQueueTags', target, () =>
          c.sqs(target.region).send(new ListQueueTagsCommand({ QueueUrl: url })),
        );
        return { ...result.Tags };
      }
      case 'sns_topic': {
        const result = await call('ListTagsForResource', target, () =>
          c.sns(target.region).send(new ListTagsForResourceCommand({ ResourceArn: target.arn })),
        );
        return tagsOf(result.Tags);
      }
      default:
        throw new AppError('VALIDATION_FAILED', `Rolecall does not tag ${target.arn}`);
    }
  };

  const readResourceState = async (c: AccountClients, target: Target): Promise<ResourceState> => {
    const policy = await readResourcePolicy(c, target);
    return {
      kind: 'resource',
      arn: target.arn,
      accountId: target.accountId,
      resourceType: target.entity as ResourceState['resourceType'],
      policy: policy ?? null,
      tags: await readTags(c, target),
    };
  };

  const readState = (c: AccountClients, target: Target): Promise<TargetState> => {
    if (target.service !== 'iam') return readResourceState(c, target);
    return target.entity === 'policy' ? readManagedPolicyState(c, target) : readPrincipal(c, target);
  };

  // The writes.

  const putInlinePolicy = async (
    c: AccountClients,
    target: Target,
    name: string,
    document: Record<string, unknown>,
  ) => {
    if (sameDocument(await readInlinePolicy(c, target, name), document)) return UNCHANGED;
    const text = JSON.stringify(document);
    const kind = principalKind(target, 'role', 'user', 'group');
    if (kind === 'role') {
      await call('PutRolePolicy', target, () =>
        c.iam.send(
          new PutRolePolicyCommand({ RoleName: target.name, PolicyName: name, PolicyDocument: text }),
        ),
      );
    } else if (kind === 'user') {
      await call('PutUserPolicy', target, () =>
        c.iam.send(
          new PutUserPolicyCommand({ UserName: target.name, PolicyName: name, PolicyDocument: text }),
        ),
      );
    } else {
      await call('PutGroupPolicy', target, () =>
        c.iam.send(
          new PutGroupPolicyCommand({ GroupName: target.name, PolicyName: name, PolicyDocument: text }),
        ),
      );
    }
    return APPLIED;
  };

  const deleteInlinePolicy = async (c: AccountClients, target: Target, name: string) => {
    if ((await readInlinePolicy(c, target, name)) === undefined) return UNCHANGED;
    const kind = principalKind(target, 'role', 'user', 'group');
    if (kind === 'role') {
      await call('DeleteRolePolicy', target, () =>
        c.iam.send(new DeleteRolePolicyCommand({ RoleName: target.name, PolicyName: name })),
      );
    } else if (kind === 'user') {
      await call('DeleteUserPolicy', target, () =>
        c.iam.send(new DeleteUserPolicyCommand({ UserName: target.name, PolicyName: name })),
      );
    } else {
      await call('DeleteGroupPolicy', target, () =>
        c.iam.send(new DeleteGroupPolicyCommand({ GroupName: target.name, PolicyName: name })),
      );
    }
    return APPLIED;
  };

  const setAttachment = async (c: AccountClients, target: Target, policyArn: string, attach: boolean) => {
    const attached = (await listAttached(c, target)).some((arn) => sameArn(arn, policyArn));
    if (attached === attach) return UNCHANGED;
    const kind = principalKind(target, 'role', 'user', 'group');
    const input = { PolicyArn: policyArn };
    if (kind === 'role') {
      const role = { ...input, RoleName: target.name };
      await (attach
        ? call('AttachRolePolicy', target, () => c.iam.send(new AttachRolePolicyCommand(role)))
        : call('DetachRolePolicy', target, () => c.iam.send(new DetachRolePolicyCommand(role))));
    } else if (kind === 'user') {
      const user = { ...input, UserName: target.name };
      await (attach
        ? call('AttachUserPolicy', target, () => c.iam.send(new AttachUserPolicyCommand(user)))
        : call('DetachUserPolicy', target, () => c.iam.send(new DetachUserPolicyCommand(user))));
    } else {
      const group = { ...input, GroupName: target.name };
      await (attach
        ? call('AttachGroupPolicy', target, () => c.iam.send(new AttachGroupPolicyCommand(group)))
        : call('DetachGroupPolicy', target, () => c.iam.send(new DetachGroupPolicyCommand(group))));
    }
    return APPLIED;
  };

  const setBoundary = async (c: AccountClients, target: Target, policyArn: string | undefined) => {
    const { boundary } = await getPrincipal(c, target);
    if (policyArn === undefined ? boundary === undefined : sameArn(boundary, policyArn)) return UNCHANGED;
    const isRole = principalKind(target, 'role', 'user') === 'role';
    if (policyArn === undefined) {
      await (isRole
        ? call('DeleteRolePermissionsBoundary', target, () =>
            c.iam.send(new DeleteRolePermissionsBoundaryCommand({ RoleName: target.name })),
          )
        : call('DeleteUserPermissionsBoundary', target, () =>
            c.iam.send(new DeleteUserPermissionsBoundaryCommand({ UserName: target.name })),
          ));
    } else {
      await (isRole
        ? call('PutRolePermissionsBoundary', target, () =>
            c.iam.send(
              new PutRolePermissionsBoundaryCommand({
                RoleName: target.name,
                PermissionsBoundary: policyArn,
              }),
            ),
          )
        : call('PutUserPermissionsBoundary', target, () =>
            c.iam.send(
              new PutUserPermissionsBoundaryCommand({
                UserName: target.name,
                PermissionsBoundary: policyArn,
              }),
            ),
          ));
    }
    return APPLIED;
  };

  const updateTrust = async (c: AccountClients, target: Target, document: Record<string, unknown>) => {
    principalKind(target, 'role');
    if (sameDocument((await getPrincipal(c, target)).trust, document)) return UNCHANGED;
    await call('UpdateAssumeRolePolicy', target, () =>
      c.iam.send(
        new UpdateAssumeRolePolicyCommand({
          RoleName: target.name,
          PolicyDocument: JSON.stringify(document),
        }),
      ),
    );
    return APPLIED;
  };

  const putResourcePolicy = async (c: AccountClients, target: Target, document: Record<string, unknown>) => {
    if (sameDocument(await readResourcePolicy(c, target), document)) return UNCHANGED;
    const text = JSON.stringify(document);
    switch (target.entity) {
      case 's3_bucket':
        await call('PutBucketPolicy', target, () =>
          c.s3.send(new PutBucketPolicyCommand({ Bucket: target.name, Policy: text })),
        );
        break;
      case 'sqs_queue': {
        const url = await queueUrl(c, target);
        await call('SetQueueAttributes', target, () =>
          c
            .sqs(target.region)
            .send(new SetQueueAttributesCommand({ QueueUrl: url, Attributes: { Policy: text } })),
        );
        break;
      }
      default:
        await call('SetTopicAttributes', target, () =>
          c.sns(target.region).send(
            new SetTopicAttributesCommand({
              TopicArn: target.arn,
              AttributeName: 'Policy',
              AttributeValue: text,
            }),
          ),
        );
    }
    return APPLIED;
  };

  const deleteResourcePolicy = async (c: AccountClients, target: Target) => {
    // A topic always has a policy: taking Rolecall's away leaves the one SNS gives a new topic.
    if (target.entity === 'sns_topic') {
      return putResourcePolicy(c, target, defaultTopicPolicy(target.arn, target.accountId));
    }
    if ((await readResourcePolicy(c, target)) === undefined) return UNCHANGED;
    if (target.entity === 's3_bucket') {
      await call('DeleteBucketPolicy', target, () =>
        c.s3.send(new DeleteBucketPolicyCommand({ Bucket: target.name })),
      );
    } else {
      const url = await queueUrl(c, target);
      await call('SetQueueAttributes', target, () =>
        c
          .sqs(target.region)
          .send(new SetQueueAttributesCommand({ QueueUrl: url, Attributes: { Policy: '' } })),
      );
    }
    return APPLIED;
  };

  const setTag = async (c: AccountClients, target: Target, key: string, value: string | undefined) => {
    const tags = await readTags(c, target);
    if (value === undefined ? !(key in tags) : tags[key] === value) return UNCHANGED;
    const tagList = value === undefined ? [] : [{ Key: key, Value: value }];
    switch (target.entity) {
      case 'role':
        await (value === undefined
          ? call('UntagRole', target, () =>
              c.iam.send(new UntagRoleCommand({ RoleName: target.name, TagKeys: [key] })),
            )
          : call('TagRole', target, () =>
              c.iam.send(new TagRoleCommand({ RoleName: target.name, Tags: tagList })),
            ));
        break;
      case 'user':
        await (value === undefined
          ? call('UntagUser', target, () =>
              c.iam.send(new UntagUserCommand({ UserName: target.name, TagKeys: [key] })),
            )
          : call('TagUser', target, () =>
              c.iam.send(new TagUserCommand({ UserName: target.name, Tags: tagList })),
            ));
        break;
      case 'policy':
        await (value === undefined
          ? call('UntagPolicy', target, () =>
              c.iam.send(new UntagPolicyCommand({ PolicyArn: target.arn, TagKeys: [key] })),
            )
          : call('TagPolicy', target, () =>
              c.iam.send(new TagPolicyCommand({ PolicyArn: target.arn, Tags: tagList })),
            ));
        break;
      case 's3_bucket': {
        // S3 replaces the whole tag set; the others are kept as read.
        const next = { ...tags };
        if (value === undefined) delete next[key];
        else next[key] = value;
        const tagSet = Object.entries(next).map(([Key, Value]) => ({ Key, Value }));
        await (tagSet.length === 0
          ? call('DeleteBucketTagging', target, () =>
              c.s3.send(new DeleteBucketTaggingCommand({ Bucket: target.name })),
            )
          : call('PutBucketTagging', target, () =>
              c.s3.send(new PutBucketTaggingCommand({ Bucket: target.name, Tagging: { TagSet: tagSet } })),
            ));
        break;
      }
      case 'sqs_queue': {
        const url = await queueUrl(c, target);
        const sqs = c.sqs(target.region);
        await (value === undefined
          ? call('UntagQueue', target, () =>
              sqs.send(new UntagQueueCommand({ QueueUrl: url, TagKeys: [key] })),
            )
          : call('TagQueue', target, () =>
              sqs.send(new TagQueueCommand({ QueueUrl: url, Tags: { [key]: value } })),
            ));
        break;
      }
      case 'sns_topic': {
        const sns = c.sns(target.region);
        await (value === undefined
          ? call('UntagResource', target, () =>
              sns.send(new UntagResourceCommand({ ResourceArn: target.arn, TagKeys: [key] })),
            )
          : call('TagResource', target, () =>
              sns.send(new TagResourceCommand({ ResourceArn: target.arn, Tags: tagList })),
            ));
        break;
      }
      default:
        throw new AppError(
          'VALIDATION_FAILED',
          `Rolecall does not tag ${target.arn} (IAM groups have no tags)`,
        );
    }
    return APPLIED;
  };

  /** Creates the policy, or when it exists makes the document its default version (if it is not already). */
  const writeManagedPolicy = async (c: AccountClients, target: Target, document: Record<string, unknown>) => {
    principalKind(target, 'policy');
    if (parseArn(target.arn)?.account === 'aws') {
      throw new AppError('VALIDATION_FAILED', `${target.arn} is managed by AWS and cannot be edited`);
    }
    const text = JSON.stringify(document);
    const current = await readManagedPolicy(c, target);
    if (current === undefined) {
      await call('CreatePolicy', target, () =>
        c.iam.send(
          new CreatePolicyCommand({ PolicyName: target.name, Path: target.path, PolicyDocument: text }),
        ),
      );
      return APPLIED;
    }
    if (sameDocument(current.document, document)) return UNCHANGED;
    const { Versions = [] } = await call('ListPolicyVersions', target, () =>
      c.iam.send(new ListPolicyVersionsCommand({ PolicyArn: target.arn })),
    );
    if (Versions.length >= MAX_POLICY_VERSIONS) {
      const oldest = Versions.filter((v) => !v.IsDefaultVersion).sort(
        (a, b) => (a.CreateDate?.getTime() ?? 0) - (b.CreateDate?.getTime() ?? 0),
      )[0];
      if (oldest?.VersionId) {
        const versionId = oldest.VersionId;
        await call('DeletePolicyVersion', target, () =>
          c.iam.send(new DeletePolicyVersionCommand({ PolicyArn: target.arn, VersionId: versionId })),
        );
      }
    }
    await call('CreatePolicyVersion', target, () =>
      c.iam.send(
        new CreatePolicyVersionCommand({ PolicyArn: target.arn, PolicyDocument: text, SetAsDefault: true }),
      ),
    );
    return APPLIED;
  };

  // Role lifecycle: the role itself and its instance profiles. Each step reads first and does only what is
  // not done yet, so a create or delete cut short by a crash finishes when the apply resumes.

  /** The role with the instance profiles that hold it, or absent when there is no such role. */
  const readRoleOrAbsent = async (c: AccountClients, target: Target): Promise<TargetState> => {
    principalKind(target, 'role');
    const found = await callOrAbsent('GetRole', target, () =>
      c.iam.send(new GetRoleCommand({ RoleName: target.name })),
    );
    if (found?.Role === undefined) {
      return { kind: 'absent', arn: target.arn, accountId: target.accountId, tags: {} };
    }
    const state = await readPrincipal(c, target);
    const profiles = await collect(
      'ListInstanceProfilesForRole',
      target,
      paginateListInstanceProfilesForRole({ client: c.iam }, { RoleName: target.name }),
      (p) => p.InstanceProfiles?.map((i) => i.InstanceProfileName ?? ''),
    );
    return { ...state, instanceProfiles: profiles };
  };

  const createRole = async (
    c: AccountClients,
    target: Target,
    write: Extract<Write, { op: 'create_role' }>,
  ) => {
    principalKind(target, 'role');
    const existing = await callOrAbsent('GetRole', target, () =>
      c.iam.send(new GetRoleCommand({ RoleName: target.name })),
    );
    if (existing?.Role !== undefined) {
      // Made by this request on an earlier attempt (its mark), or by someone else meanwhile: never adopt that.
      if ((await readTags(c, target))[CREATED_BY_TAG] === write.tags[CREATED_BY_TAG]) return UNCHANGED;
      throw new AppError('CONFLICT', `${target.arn} exists and was not created by this request`, {
        context: { arn: target.arn, accountId: target.accountId, awsError: 'EntityAlreadyExists' },
      });
    }
    await call('CreateRole', target, () =>
      c.iam.send(
        new CreateRoleCommand({
          RoleName: target.name,
          Path: target.path,
          AssumeRolePolicyDocument: JSON.stringify(write.document),
          Description: write.description,
          MaxSessionDuration: write.maxSessionDuration,
          PermissionsBoundary: write.boundaryArn,
          Tags: Object.entries(write.tags).map(([Key, Value]) => ({ Key, Value })),
        }),
      ),
    );
    return APPLIED;
  };

  const deleteRole = async (c: AccountClients, target: Target) => {
    principalKind(target, 'role');
    const existing = await callOrAbsent('GetRole', target, () =>
      c.iam.send(new GetRoleCommand({ RoleName: target.name })),
    );
    if (existing?.Role === undefined) return UNCHANGED;
    const deleted = await callOrAbsent('DeleteRole', target, () =>
      c.iam.send(new DeleteRoleCommand({ RoleName: target.name })),
    );
    return deleted === undefined ? UNCHANGED : APPLIED;
  };

  const instanceProfile = async (c: AccountClients, target: Target, name: string) =>
    (
      await callOrAbsent('GetInstanceProfile', target, () =>
        c.iam.send(new GetInstanceProfileCommand({ InstanceProfileName: name })),
      )
    )?.InstanceProfile;

  const holdsRole = (profile: { Roles?: { RoleName?: string }[] }, roleName: string) =>
    (profile.Roles ?? []).some((r) => r.RoleName === roleName);

  const setInstanceProfile = async (
    c: AccountClients,
    target: Target,
    name: string,
    step: 'create' | 'add' | 'remove' | 'delete',
  ): Promise<WriteOutcome> => {
    principalKind(target, 'role');
    const profile = await instanceProfile(c, target, name);
    const input = { InstanceProfileName: name };
    switch (step) {
      case 'create':
        if (profile !== undefined) return UNCHANGED;
        await call('CreateInstanceProfile', target, () =>
          c.iam.send(new CreateInstanceProfileCommand({ ...input, Path: target.path })),
        );
        return APPLIED;
      case 'add':
        if (profile !== undefined && holdsRole(profile, target.name)) return UNCHANGED;
        await call('AddRoleToInstanceProfile', target, () =>
          c.iam.send(new AddRoleToInstanceProfileCommand({ ...input, RoleName: target.name })),
        );
        return APPLIED;
      case 'remove': {
        if (profile === undefined || !holdsRole(profile, target.name)) return UNCHANGED;
        const removed = await callOrAbsent('RemoveRoleFromInstanceProfile', target, () =>
          c.iam.send(new RemoveRoleFromInstanceProfileCommand({ ...input, RoleName: target.name })),
        );
        return removed === undefined ? UNCHANGED : APPLIED;
      }
      case 'delete': {
        // A profile still holding a role is in use by someone: not Rolecall's to delete.
        if (profile === undefined || (profile.Roles ?? []).length > 0) return UNCHANGED;
        const deleted = await callOrAbsent('DeleteInstanceProfile', target, () =>
          c.iam.send(new DeleteInstanceProfileCommand(input)),
        );
        return deleted === undefined ? UNCHANGED : APPLIED;
      }
    }
  };

  return {
    async readCurrent(change, accountId) {
      const target = targetOf(targetArnOf(change), accountId);
      const clients = spokes.forAccount(accountId);
      switch (change.change_type) {
        case 'inline_policy':
        case 'managed_policy':
        case 'permissions_boundary':
        case 'assume_role_policy':
        case 'sts_resource_policy':
          principalKind(target, 'role', 'user');
          return readPrincipal(clients, target);
        case 'resource_policy':
          return readResourceState(clients, target);
        case 'managed_policy_resource':
          return readManagedPolicyState(clients, target);
        case 'resource_tag':
          return readState(clients, target);
        case 'create_role':
        case 'delete_role':
          return readRoleOrAbsent(clients, target);
      }
    },

    async write(write, accountId) {
      const c = spokes.forAccount(accountId);
      switch (write.op) {
        case 'put_inline_policy':
          return putInlinePolicy(c, targetOf(write.principalArn, accountId), write.name, write.document);
        case 'delete_inline_policy':
          return deleteInlinePolicy(c, targetOf(write.principalArn, accountId), write.name);
        case 'attach_managed_policy':
          return setAttachment(c, targetOf(write.principalArn, accountId), write.policyArn, true);
        case 'detach_managed_policy':
          return setAttachment(c, targetOf(write.principalArn, accountId), write.policyArn, false);
        case 'put_permissions_boundary':
          return setBoundary(c, targetOf(write.principalArn, accountId), write.policyArn);
        case 'delete_permissions_boundary':
          return setBoundary(c, targetOf(write.principalArn, accountId), undefined);
        case 'update_assume_role_policy':
          return updateTrust(c, targetOf(write.roleArn, accountId), write.document);
        case 'put_resource_policy':
          return putResourcePolicy(c, targetOf(write.resourceArn, accountId), write.document);
        case 'delete_resource_policy':
          return deleteResourcePolicy(c, targetOf(write.resourceArn, accountId));
        case 'tag':
          return setTag(c, targetOf(write.arn, accountId), write.key, write.value);
        case 'untag':
          return setTag(c, targetOf(write.arn, accountId), write.key, undefined);
        case 'create_managed_policy':
        case 'create_managed_policy_version':
          return writeManagedPolicy(c, targetOf(write.policyArn, accountId), write.document);
        case 'create_role':
          return createRole(c, targetOf(write.roleArn, accountId), write);
        case 'delete_role':
          return deleteRole(c, targetOf(write.roleArn, accountId));
        case 'create_instance_profile':
          return setInstanceProfile(c, targetOf(write.roleArn, accountId), write.name, 'create');
        case 'add_role_to_instance_profile':
          return setInstanceProfile(c, targetOf(write.roleArn, accountId), write.name, 'add');
        case 'remove_role_from_instance_profile':
          return setInstanceProfile(c, targetOf(write.roleArn, accountId), write.name, 'remove');
        case 'delete_instance_profile':
          return setInstanceProfile(c, targetOf(write.roleArn, accountId), write.name, 'delete');
      }
    },
  };
}

/** A role's description and session duration through the spoke role of its account (for clones). */
export function createAwsRoleDescriber(options: { spokes: SpokeClients }): RoleDescriber {
  return {
    async describe(roleArn, accountId) {
      const target = targetOf(roleArn, accountId);
      try {
        const { Role } = await options.spokes
          .forAccount(accountId)
          .iam.send(new GetRoleCommand({ RoleName: target.name }));
        return { description: Role?.Description, maxSessionDuration: Role?.MaxSessionDuration };
      } catch (error) {
        if (isAwsErrorNamed(error, ...NOT_FOUND_ERRORS)) return undefined;
        throw awsFailure(error, { operation: 'GetRole', arn: roleArn, accountId });
      }
    },
  };
}
