import { Value } from 'typebox/value';
import { describe, expect, it } from 'vitest';
import { DynamicConfigDocument } from '../dynamic-config/schema.js';
import {
  ChangeModel,
  HistoryTypes,
  NotificationRouting,
  NotificationTopics,
  PolicyRequestEventKinds,
  PolicyRequestModificationModel,
  RequestCreationModel,
  RequestListFilters,
  requestsEvents,
  requestsOperations,
  requestsStreams,
  requestsSubjects,
} from './requests.js';

const role = { principal_type: 'AwsResource', principal_arn: 'arn:aws:iam::111111111111:role/app' };
const document = {
  Version: '2012-10-17',
  Statement: [{ Effect: 'Allow', Action: 's3:GetObject', Resource: '*' }],
};

describe('request contracts', () => {
  it('accepts every ConsoleMe change type as the UI sends it', () => {
    const changes = [
      {
        principal: role,
        change_type: 'inline_policy',
        action: 'attach',
        policy: { policy_document: document },
      },
      {
        principal: role,
        change_type: 'managed_policy',
        action: 'detach',
        arn: 'arn:aws:iam::aws:policy/ReadOnlyAccess',
      },
      {
        principal: role,
        change_type: 'permissions_boundary',
        action: 'attach',
        arn: 'arn:aws:iam::aws:policy/PowerUserAccess',
      },
      { principal: role, change_type: 'assume_role_policy', policy: { policy_document: document } },
      {
        principal: role,
        change_type: 'resource_policy',
        arn: 'arn:aws:s3:::b',
        policy: { policy_document: '{}' },
      },
      {
        principal: role,
        change_type: 'sts_resource_policy',
        arn: 'arn:aws:iam::222222222222:role/x',
        policy: { policy_document: document },
      },
      { principal: role, change_type: 'resource_tag', tag_action: 'create', key: 'owner', value: 'team' },
      {
        principal: { ...role, principal_arn: 'arn:aws:iam::111111111111:policy/p' },
        change_type: 'managed_policy_resource',
        policy: { policy_document: document },
      },
    ];
    for (const change of changes) expect(Value.Errors(ChangeModel, change)[0]).toBeUndefined();
    expect(Value.Check(RequestCreationModel, { changes: { changes }, justification: 'x' })).toBe(true);
  });

  it('takes an expiry as an ISO time, a YYYYMMDD day or a duration, and nothing else', () => {
    const change = {
      principal: role,
      change_type: 'managed_policy',
      action: 'attach',
      arn: 'arn:aws:iam::aws:policy/A',
    };
    expect(Value.Check(ChangeModel, { ...change, expiration_date: '2030-01-01T10:00:00Z' })).toBe(true);
    expect(Value.Check(ChangeModel, { ...change, expiration_date: 20300101 })).toBe(true);
    expect(Value.Check(ChangeModel, { ...change, expires_in: '4h' })).toBe(true);
    expect(Value.Check(ChangeModel, { ...change, expires_in: '0h' })).toBe(false);
    expect(Value.Check(ChangeModel, { ...change, expires_in: '4 hours' })).toBe(false);
    expect(Value.Check(ChangeModel, { ...change, expiration_date: 'tomorrow' })).toBe(false);
  });

  it('refuses an unknown change type and an unknown command', () => {
    expect(Value.Check(ChangeModel, { principal: role, change_type: 'generic_file', action: 'attach' })).toBe(
      false,
    );
    expect(
      Value.Check(PolicyRequestModificationModel, { modification_model: { command: 'delete_request' } }),
    ).toBe(false);
    expect(
      Value.Check(PolicyRequestModificationModel, {
        modification_model: { command: 'approve_request', version: 3 },
      }),
    ).toBe(true);
  });

  it('filters the list by known columns only', () => {
    expect(Value.Check(RequestListFilters, { filters: { status: 'pending', request_time: [0, 10] } })).toBe(
      true,
    );
    expect(Value.Check(RequestListFilters, { filters: { password: 'x' } })).toBe(false);
  });

  it('routes every notification topic and no other', () => {
    expect(Object.keys(NotificationRouting.properties).sort()).toEqual([...NotificationTopics].sort());
  });

  it('validates approval rules inside the dynamic config document', () => {
    const valid = {
      policy_requests: {
        approval_rules: [
          { name: 'prod', accounts: ['111111111111'], approvers: ['prod-approvers'], min_approvals: 2 },
        ],
        auto_approval_rules: [
          {
            name: 'dev-read',
            accounts: ['222222222222'],
            principal_arns: ['arn:aws:iam::*:role/dev-*'],
            action_prefixes: ['s3:Get'],
            max_duration: '8h',
          },
        ],
        notifications: { created: ['slack', 'email'] },
      },
    };
    expect(Value.Errors(DynamicConfigDocument, valid)[0]).toBeUndefined();
    const badPrefix = structuredClone(valid);
    (badPrefix.policy_requests.auto_approval_rules[0] as { action_prefixes: string[] }).action_prefixes = [
      's3:*',
    ];
    expect(Value.Check(DynamicConfigDocument, badPrefix)).toBe(false);
    expect(
      Value.Check(DynamicConfigDocument, {
        policy_requests: { approval_rules: [{ name: 'x', min_approvals: 0 }] },
      }),
    ).toBe(false);
  });

  it('takes access levels in an auto-approval rule, which must name levels or prefixes', () => {
    const rule = { name: 'read', accounts: ['222222222222'], principal_arns: ['arn:aws:iam::*:role/*'] };
    const withRule = (extra: Record<string, unknown>) => ({
      policy_requests: { auto_approval_rules: [{ ...rule, ...extra }] },
    });
    expect(Value.Check(DynamicConfigDocument, withRule({ access_levels: ['List', 'Read'] }))).toBe(true);
    expect(
      Value.Check(DynamicConfigDocument, withRule({ access_levels: ['Read'], action_prefixes: ['s3:'] })),
    ).toBe(true);
    expect(Value.Check(DynamicConfigDocument, withRule({}))).toBe(false);
    expect(Value.Check(DynamicConfigDocument, withRule({ access_levels: ['Admin'] }))).toBe(false);
    expect(Value.Check(DynamicConfigDocument, withRule({ access_levels: [] }))).toBe(false);
  });
});

describe('request subjects and events', () => {
  it('keeps operation subjects out of the event stream', () => {
    const filter = requestsStreams.events.subjects[0] ?? '';
    const prefix = filter.replace(/>$/, '');
    for (const operation of Object.values(requestsOperations))
      expect(operation.subject.startsWith(prefix)).toBe(false);
    for (const kind of PolicyRequestEventKinds)
      expect(requestsSubjects.happened(kind).startsWith(prefix)).toBe(true);
  });

  it('publishes each history type under its kind, one message per step', () => {
    const item = {
      requestId: 'r1',
      kind: HistoryTypes.change_applied,
      type: 'change_applied' as const,
      actor: 'rolecall',
      at: '2030-01-01T00:00:00Z',
      version: 4,
      status: 'approved' as const,
      principalArn: role.principal_arn,
      changeId: 'r10',
    };
    const event = requestsEvents.policyRequestHappened;
    expect(event.subject(item)).toBe('requests.policy-request.applied');
    expect(event.msgId(item)).not.toBe(event.msgId({ ...item, changeId: 'r11' }));
    expect(event.msgId(item)).not.toBe(event.msgId({ ...item, version: 5 }));
  });
});
