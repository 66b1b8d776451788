import type { ChangeModel, ExtendedRequestModel, ModificationCommand } from '@rolecall/shared/contracts';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { evaluateApproval } from './approval-rules.js';
import {
  applyCommand,
  approveAutomatically,
  changesToApply,
  expiriesOf,
  newRequest,
  recordApplyResult,
  recordExpiry,
  type StepContext,
  type StepOutcome,
} from './request-state.js';

const ROLE = 'arn:aws:iam::111111111111:role/app';
const principal = { principal_type: 'AwsResource' as const, principal_arn: ROLE };
const t0 = new Date('2030-01-01T10:00:00Z');
const later = (ms: number) => new Date(t0.getTime() + ms);
const grant: ChangeModel = {
  principal,
  change_type: 'inline_policy',
  action: 'attach',
  policy_name: 'p',
  expires_in: '4h',
  policy: {
    policy_document: {
      Version: '2012-10-17',
      Statement: [{ Effect: 'Allow', Action: 's3:GetObject', Resource: '*' }],
    },
  },
};
const tag: ChangeModel = {
  principal,
  change_type: 'resource_tag',
  tag_action: 'create',
  key: 'team',
  value: 'data',
};
const twoPeople = (request: ExtendedRequestModel) =>
  evaluateApproval({
    settings: { approval_rules: [{ name: 'prod', approvers: ['prod-approvers'], min_approvals: 2 }] },
    adminGroups: ['admins'],
    requester: request.requester_email,
    touched: [{ arn: ROLE, accountId: '111111111111', tags: {} }],
    approvals: request.approvals,
  });
let ids = 0;
const as = (user: string, now = t0, groups = ['prod-approvers']): StepContext => ({
  actor: { user, groups },
  now,
  newId: () => `id-${++ids}`,
  explain: twoPeople,
});
const fresh = (changes: ChangeModel[] = [grant, tag]) =>
  newRequest({
    id: 'req-1',
    requester: { user: 'alice@example.com', groups: ['devs'] },
    principal,
    changes,
    justification: 'read logs',
    crossAccount: false,
    adminAutoApprove: false,
    now: t0,
  }).request;
const must = (outcome: StepOutcome) => {
  if (!outcome.ok) throw new Error(`${outcome.refusal.code}: ${outcome.refusal.message}`);
  return outcome;
};
const command = (c: ModificationCommand) => c;

describe('newRequest', () => {
  it('starts pending at version 1 with ConsoleMe change ids', () => {
    const { request, history } = newRequest({
      id: 'req-1',
      requester: { user: 'alice@example.com', groups: [] },
      principal,
      changes: [grant, { ...tag, id: 'generated' }],
      crossAccount: false,
      adminAutoApprove: false,
      now: t0,
    });
    expect(request).toMatchObject({
      version: 1,
      request_status: 'pending',
      requester_email: 'alice@example.com',
    });
    expect(request.changes.changes.map((c) => [c.id, c.status])).toEqual([
      ['req-10', 'not_applied'],
      ['generated', 'not_applied'],
    ]);
    expect(history).toEqual([
      expect.objectContaining({ type: 'created', kind: 'created', version: 1, status: 'pending' }),
    ]);
  });
});

describe('approval', () => {
  it('waits for the second person, then applies, fixing the expiry from the approval', () => {
    const first = must(applyCommand(fresh(), { command: 'approve_request' }, as('bob@example.com')));
    expect(first.request).toMatchObject({ request_status: 'pending', version: 2 });
    expect(first.history[0]).toMatchObject({ type: 'approval_recorded', kind: 'updated' });
    const second = must(
      applyCommand(first.request, { command: 'approve_request' }, as('carol@example.com', later(60_000))),
    );
    expect(second.request).toMatchObject({
      request_status: 'applying',
      version: 3,
      reviewer: 'bob@example.com, carol@example.com',
    });
    expect(second.history[0]).toMatchObject({ type: 'approved', kind: 'approved', version: 3 });
    expect(second.request.changes.changes[0]?.expires_at).toBe('2030-01-01T14:01:00.000Z');
    expect(changesToApply(second.request).map((c) => c.id)).toEqual(['req-10', 'req-11']);
  });

  it('refuses a stale version and a second approval once applying: one apply only', () => {
    const approved = approveAutomatically(fresh(), { kind: 'rule', name: 'dev-read' }, as('x'));
    const again = applyCommand(approved.request, { command: 'approve_request' }, as('bob@example.com'));
    expect(!again.ok && again.refusal).toMatchObject({ kind: 'invalid', code: 'INVALID_STATE' });
    const stale = applyCommand(
      fresh(),
      { command: 'add_comment', comment_text: 'hi', version: 7 },
      as('bob@example.com'),
    );
    expect(!stale.ok && stale.refusal).toMatchObject({ kind: 'conflict', code: 'STALE_VERSION' });
  });

  it('records an auto-approval rule as the reviewer, with a comment', () => {
    const { request, history } = approveAutomatically(fresh(), { kind: 'rule', name: 'dev-read' }, as('x'));
    expect(request).toMatchObject({ request_status: 'applying', reviewer: 'rule:dev-read' });
    expect(request.comments[0]?.text).toBe('Approved by auto-approval rule dev-read');
    expect(history[0]).toMatchObject({ type: 'approved', actor: 'rule:dev-read' });
  });

  it('forgets the approvals given when a change is edited afterwards', () => {
    const first = must(applyCommand(fresh(), { command: 'approve_request' }, as('bob@example.com')));
    const edited = must(
      applyCommand(
        first.request,
        { command: 'update_change', change_id: 'req-10', policy_document: '{}' },
        as('alice@example.com'),
      ),
    );
    expect(edited.request.approvals).toEqual([]);
    expect(edited.request.changes.changes[0]).toMatchObject({
      policy: { policy_document: '{}' },
      updated_by: 'alice@example.com',
    });
  });
});

describe('applying', () => {
  const applying = () =>
    approveAutomatically(fresh(), { kind: 'admin', user: 'admin@example.com' }, as('admin@example.com'))
      .request;

  it('is approved once every change is applied, and schedules the expiring one', () => {
    const one = must(recordApplyResult(applying(), 'req-10', { ok: true, grantedSids: ['S0'] }, later(1000)));
    expect(one.request.request_status).toBe('applying');
    const both = must(recordApplyResult(one.request, 'req-11', { ok: true, grantedSids: [] }, later(2000)));
    expect(both.request.request_status).toBe('approved');
    expect(both.request.changes.changes[0]).toMatchObject({ status: 'applied', granted_sids: ['S0'] });
    expect(expiriesOf(both.request)).toEqual([{ changeId: 'req-10', at: '2030-01-01T14:00:00.000Z' }]);
    const twice = recordApplyResult(both.request, 'req-10', { ok: true, grantedSids: [] }, later(3000));
    expect(twice.ok).toBe(false);
  });

  it('shows which change failed and why, and applies it again on apply_change', () => {
    const failed = must(
      recordApplyResult(
        applying(),
        'req-10',
        { ok: false, error: { code: 'AccessDenied', message: 'not allowed' } },
        later(1000),
      ),
    );
    const settled = must(
      recordApplyResult(failed.request, 'req-11', { ok: true, grantedSids: [] }, later(2000)),
    );
    expect(settled.request.request_status).toBe('failed');
    expect(settled.request.changes.changes[0]).toMatchObject({
      status: 'failed',
      error: { code: 'AccessDenied', message: 'not allowed' },
    });
    expect(failed.history[0]).toMatchObject({ kind: 'failed', message: 'AccessDenied: not allowed' });
    const retry = must(
      applyCommand(
        settled.request,
        { command: 'apply_change', change_id: 'req-10' },
        as('admin@example.com'),
      ),
    );
    expect(retry.request.request_status).toBe('applying');
    expect(retry.request.changes.changes[0]?.error).toBeUndefined();
    const done = must(recordApplyResult(retry.request, 'req-10', { ok: true, grantedSids: [] }, later(5000)));
    expect(done.request.request_status).toBe('approved');
  });

  it('is expired when its last applied change expires, with what the removal found', () => {
    const only = approveAutomatically(fresh([grant]), { kind: 'rule', name: 'r' }, as('x')).request;
    const applied = must(recordApplyResult(only, 'req-10', { ok: true, grantedSids: ['S0'] }, later(1000)));
    const gone = must(
      recordExpiry(
        applied.request,
        'req-10',
        [{ code: 'STATEMENT_EDITED', message: 'edited by hand' }],
        later(4 * 3600_000),
      ),
    );
    expect(gone.request.request_status).toBe('expired');
    expect(gone.request.changes.changes[0]?.expiry_findings).toEqual([
      { code: 'STATEMENT_EDITED', message: 'edited by hand', at: '2030-01-01T14:00:00.000Z' },
    ]);
    expect(gone.history[0]).toMatchObject({ type: 'change_expired', kind: 'expired', actor: 'rolecall' });
    expect(recordExpiry(gone.request, 'req-10', [], later(5 * 3600_000)).ok).toBe(false);
  });
});

describe('cancelling, rejecting, moving back', () => {
  it('cancels the request once its last change is cancelled', () => {
    const one = must(
      applyCommand(fresh(), { command: 'cancel_change', change_id: 'req-10' }, as('alice@example.com')),
    );
    expect(one.request.request_status).toBe('pending');
    const both = must(
      applyCommand(one.request, { command: 'cancel_change', change_id: 'req-11' }, as('alice@example.com')),
    );
    expect(both.request.request_status).toBe('cancelled');
    expect(both.history.map((h) => h.type)).toEqual(['change_cancelled', 'cancelled']);
  });

  it('moves a rejected request back to pending within 24 hours only, without its approvals', () => {
    const rejected = must(
      applyCommand(fresh(), { command: 'reject_request' }, as('bob@example.com')),
    ).request;
    expect(rejected).toMatchObject({ request_status: 'rejected', reviewer: 'bob@example.com' });
    const back = must(
      applyCommand(rejected, { command: 'move_back_to_pending' }, as('admin@example.com', later(3600_000))),
    );
    expect(back.request).toMatchObject({ request_status: 'pending', approvals: [] });
    expect(back.request.reviewer).toBeUndefined();
    const late = applyCommand(
      rejected,
      { command: 'move_back_to_pending' },
      as('admin@example.com', later(25 * 3600_000)),
    );
    expect(!late.ok && late.refusal.code).toBe('MOVE_BACK_TOO_LATE');
  });

  it('takes only comments once rejected', () => {
    const rejected = must(
      applyCommand(fresh(), { command: 'reject_request' }, as('bob@example.com')),
    ).request;
    for (const c of [
      command({ command: 'approve_request' }),
      command({ command: 'cancel_request' }),
      command({ command: 'update_change', change_id: 'req-10', policy_document: '{}' }),
    ]) {
      const outcome = applyCommand(rejected, c, as('bob@example.com'));
      expect(!outcome.ok && outcome.refusal.code).toBe('INVALID_STATE');
    }
    expect(
      applyCommand(rejected, { command: 'add_comment', comment_text: 'why?' }, as('alice@example.com')).ok,
    ).toBe(true);
  });
});

describe('every step (property)', () => {
  const commands = fc.oneof(
    fc.constant<ModificationCommand>({ command: 'approve_request' }),
    fc.constant<ModificationCommand>({ command: 'reject_request' }),
    fc.constant<ModificationCommand>({ command: 'cancel_request' }),
    fc.constant<ModificationCommand>({ command: 'move_back_to_pending' }),
    fc.constant<ModificationCommand>({ command: 'add_comment', comment_text: 'x' }),
    fc
      .constantFrom('req-10', 'req-11', 'nope')
      .map<ModificationCommand>((id) => ({ command: 'cancel_change', change_id: id })),
    fc
      .constantFrom('req-10', 'req-11')
      .map<ModificationCommand>((id) => ({ command: 'apply_change', change_id: id })),
  );
  const step = fc.oneof(
    fc
      .tuple(commands, fc.constantFrom('alice@example.com', 'bob@example.com', 'carol@example.com'))
      .map(([c, user]) => ({ kind: 'command' as const, c, user })),
    fc
      .tuple(fc.constantFrom('req-10', 'req-11'), fc.boolean())
      .map(([id, success]) => ({ kind: 'result' as const, id, success })),
  );

  it('bumps the version by one or leaves the request untouched, and never applies a change twice', () => {
    fc.assert(
      fc.property(fc.array(step, { maxLength: 25 }), (steps) => {
        let request = fresh();
        const appliedTimes = new Map<string, number>();
        for (const s of steps) {
          const before = structuredClone(request);
          const outcome =
            s.kind === 'command'
              ? applyCommand(request, s.c, as(s.user))
              : recordApplyResult(
                  request,
                  s.id,
                  s.success
                    ? { ok: true, grantedSids: [] }
                    : { ok: false, error: { code: 'E', message: 'm' } },
                  t0,
                );
          if (!outcome.ok) {
            expect(request).toEqual(before);
            continue;
          }
          expect(outcome.request.version).toBe(before.version + 1);
          for (const item of outcome.history) expect(item.version).toBe(outcome.request.version);
          if (s.kind === 'result' && s.success) appliedTimes.set(s.id, (appliedTimes.get(s.id) ?? 0) + 1);
          request = outcome.request;
        }
        for (const times of appliedTimes.values()) expect(times).toBe(1);
      }),
    );
  });
});
