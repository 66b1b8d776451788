import type { CommandName } from '@rolecall/shared/contracts';
import { describe, expect, it } from 'vitest';
import { evaluateApproval } from './approval-rules.js';
import {
  authorizeAdminAutoApprove,
  authorizeCommand,
  requestConfigOf,
  type AuthorizationFacts,
} from './authorization.js';

const explanation = evaluateApproval({
  settings: { approval_rules: [{ name: 'prod', accounts: ['111111111111'], approvers: ['prod-approvers'] }] },
  adminGroups: ['admins'],
  requester: 'alice@example.com',
  touched: [{ arn: 'arn:aws:iam::111111111111:role/app', accountId: '111111111111', tags: {} }],
  approvals: [],
});
const as = (
  user: string,
  groups: string[] = [],
  isAdmin = groups.includes('admins'),
): AuthorizationFacts => ({
  actor: { user, groups },
  isAdmin,
  requesterEmail: 'alice@example.com',
  explanation,
});
const alice = as('alice@example.com', ['devs']);
const aliceAdmin = as('ALICE@example.com', ['admins']);
const bob = as('bob@example.com', ['prod-approvers']);
const admin = as('admin@example.com', ['admins']);
const mallory = as('mallory@example.com', ['devs']);
const decide = (command: CommandName, facts: AuthorizationFacts) => {
  const decision = authorizeCommand(command, facts);
  return decision.allowed ? 'allowed' : decision.code;
};

describe('authorizeCommand', () => {
  it.each<[string, CommandName, AuthorizationFacts, string]>([
    ['a non-admin outside the rule cannot approve', 'approve_request', mallory, 'NOT_AN_APPROVER'],
    ['a non-admin outside the rule cannot apply', 'apply_change', mallory, 'NOT_AN_APPROVER'],
    ['a requester cannot approve their own request', 'approve_request', alice, 'NOT_AN_APPROVER'],
    [
      'an admin requester cannot self-approve, whatever the case of the email',
      'approve_request',
      aliceAdmin,
      'SELF_APPROVAL_FORBIDDEN',
    ],
    ["the rule's approver approves", 'approve_request', bob, 'allowed'],
    ['an admin approves', 'approve_request', admin, 'allowed'],
    ['the requester cancels their own request', 'cancel_request', alice, 'allowed'],
    ['nobody else cancels it, not even an admin', 'cancel_request', admin, 'NOT_THE_REQUESTER'],
    ['the requester cancels a change', 'cancel_change', alice, 'allowed'],
    ['an approver cancels a change', 'cancel_change', bob, 'allowed'],
    ['anyone else cannot cancel a change', 'cancel_change', mallory, 'NOT_REQUESTER_OR_APPROVER'],
    ['anyone else cannot edit a change', 'update_change', mallory, 'NOT_REQUESTER_OR_APPROVER'],
    ['an approver rejects', 'reject_request', bob, 'allowed'],
    ['anyone else cannot reject', 'reject_request', mallory, 'NOT_AN_APPROVER'],
    ['only an admin moves back to pending', 'move_back_to_pending', bob, 'ADMIN_ONLY'],
    ['anyone comments', 'add_comment', mallory, 'allowed'],
  ])('%s', (_what, command, facts, expected) => {
    expect(decide(command, facts)).toBe(expected);
  });

  it('refuses a second approval by the same person', () => {
    const twoPeople = evaluateApproval({
      settings: { approval_rules: [{ name: 'prod', approvers: ['prod-approvers'], min_approvals: 2 }] },
      adminGroups: ['admins'],
      requester: 'alice@example.com',
      touched: [{ arn: 'arn:aws:iam::111111111111:role/app', accountId: '111111111111', tags: {} }],
      approvals: [{ user: 'bob@example.com', groups: ['prod-approvers'], at: '2030-01-01T00:00:00Z' }],
    });
    expect(decide('approve_request', { ...bob, explanation: twoPeople })).toBe('ALREADY_APPROVED');
  });
});

describe('admin_auto_approve and request_config', () => {
  it('refuses admin_auto_approve from a non-admin', () => {
    expect(authorizeAdminAutoApprove(false)).toMatchObject({
      allowed: false,
      code: 'ADMIN_AUTO_APPROVE_FORBIDDEN',
    });
    expect(authorizeAdminAutoApprove(true)).toEqual({ allowed: true });
  });

  it('shows each caller only the buttons they may use', () => {
    expect(requestConfigOf(bob)).toEqual({
      can_approve_reject: true,
      can_update_cancel: true,
      can_move_back_to_pending: false,
    });
    expect(requestConfigOf(alice)).toEqual({
      can_approve_reject: false,
      can_update_cancel: true,
      can_move_back_to_pending: false,
    });
    expect(requestConfigOf(admin)).toEqual({
      can_approve_reject: true,
      can_update_cancel: true,
      can_move_back_to_pending: true,
    });
    expect(requestConfigOf(mallory)).toEqual({
      can_approve_reject: false,
      can_update_cancel: false,
      can_move_back_to_pending: false,
    });
  });
});
