import type { ApprovalExplanation, CommandName, RequestConfig } from '@rolecall/shared/contracts';
import { contributionOf, isEntitledApprover, normalizeIdentity, type Identity } from './approval-rules.js';

/** Every refusal's code: stable, the gateway answers each with 403 and it. */
export const AuthorizationRefusals = {
  NOT_AN_APPROVER: 'NOT_AN_APPROVER',
  SELF_APPROVAL_FORBIDDEN: 'SELF_APPROVAL_FORBIDDEN',
  ALREADY_APPROVED: 'ALREADY_APPROVED',
  NOT_THE_REQUESTER: 'NOT_THE_REQUESTER',
  NOT_REQUESTER_OR_APPROVER: 'NOT_REQUESTER_OR_APPROVER',
  ADMIN_ONLY: 'ADMIN_ONLY',
  ADMIN_AUTO_APPROVE_FORBIDDEN: 'ADMIN_AUTO_APPROVE_FORBIDDEN',
} as const;
export type AuthorizationRefusal = keyof typeof AuthorizationRefusals;

export type Decision = { allowed: true } | { allowed: false; code: AuthorizationRefusal; message: string };

export interface AuthorizationFacts {
  actor: Identity;
  /** Whether the actor is a Rolecall admin (approves toward every requirement). */
  isAdmin: boolean;
  requesterEmail: string;
  explanation: ApprovalExplanation;
}

const allow: Decision = { allowed: true };
const refuse = (code: AuthorizationRefusal, message: string): Decision => ({ allowed: false, code, message });

const isRequester = (facts: AuthorizationFacts) =>
  normalizeIdentity(facts.actor.user) === normalizeIdentity(facts.requesterEmail);
const isApprover = (facts: AuthorizationFacts) =>
  facts.isAdmin || isEntitledApprover(facts.actor, facts.explanation);

/**
 * Who may give which command on a request, whatever its status (the state machine says what the status
 * allows). Unlike ConsoleMe: only an entitled approver approves or applies; nobody approves their own
 * request unless the rule allows it; cancel_change needs the requester or an approver; a request is
 * cancelled only by its requester.
 */
export function authorizeCommand(command: CommandName, facts: AuthorizationFacts): Decision {
  switch (command) {
    case 'add_comment':
      return allow;
    case 'update_change':
    case 'cancel_change':
      return isRequester(facts) || isApprover(facts)
        ? allow
        : refuse(
            'NOT_REQUESTER_OR_APPROVER',
            `only the requester or an approver may ${command.replace('_', ' ')}s`,
          );
    case 'approve_request':
      return authorizeApproval(facts);
    case 'apply_change':
    case 'reject_request':
      return isApprover(facts)
        ? allow
        : refuse(
            'NOT_AN_APPROVER',
            `${facts.actor.user} may not ${command === 'apply_change' ? 'apply' : 'reject'} this request: ${facts.explanation.summary}`,
          );
    case 'cancel_request':
      return isRequester(facts)
        ? allow
        : refuse(
            'NOT_THE_REQUESTER',
            `only ${facts.requesterEmail}, who made the request, may cancel it; approvers reject`,
          );
    case 'move_back_to_pending':
      return facts.isAdmin ? allow : refuse('ADMIN_ONLY', 'only an admin may move a request back to pending');
  }
}

function authorizeApproval(facts: AuthorizationFacts): Decision {
  switch (contributionOf(facts.actor, facts.explanation, facts.requesterEmail)) {
    case 'counts':
      return allow;
    case 'self':
      return refuse(
        'SELF_APPROVAL_FORBIDDEN',
        'you made this request, and no rule lets its requester approve it',
      );
    case 'already_approved':
      return refuse('ALREADY_APPROVED', 'you have approved this request already; it needs someone else');
    case 'nothing_open':
      return isApprover(facts)
        ? allow
        : refuse('NOT_AN_APPROVER', `${facts.actor.user} may not approve this request`);
    case 'not_an_approver':
      return refuse(
        'NOT_AN_APPROVER',
        `${facts.actor.user} may not approve this request: ${facts.explanation.summary}`,
      );
  }
}

/** `admin_auto_approve` on creation: only an admin, and a refusal rather than ConsoleMe's silent save. */
export const authorizeAdminAutoApprove = (isAdmin: boolean): Decision =>
  isAdmin
    ? allow
    : refuse('ADMIN_AUTO_APPROVE_FORBIDDEN', 'admin_auto_approve is for admins; ask without it');

/** ConsoleMe's `request_config`: what the caller's buttons show. */
export function requestConfigOf(facts: AuthorizationFacts): RequestConfig {
  return {
    can_approve_reject: authorizeCommand('approve_request', facts).allowed,
    can_update_cancel: authorizeCommand('update_change', facts).allowed,
    can_move_back_to_pending: authorizeCommand('move_back_to_pending', facts).allowed,
  };
}
