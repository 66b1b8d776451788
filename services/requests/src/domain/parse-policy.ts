import type { ChangeProblem, PolicyModel } from '@rolecall/shared/contracts';
import { isRecord, statementsOf } from '@rolecall/shared/iam';

/** Which kind of document: an identity policy has no Principal; resource and trust policies need one. */
export type PolicyKind = 'identity' | 'resource' | 'trust';

export type ParsedPolicy =
  { ok: true; document: Record<string, unknown> } | { ok: false; problems: ChangeProblem[] };

const VERSIONS = new Set(['2012-10-17', '2008-10-17']);
const EFFECTS = new Set(['Allow', 'Deny']);

/**
 * Parses a policy as ConsoleMe carries it (an object, or JSON text) and checks that it is an IAM policy
 * document of its kind: a known Version, at least one statement, each with an Effect, an Action or
 * NotAction, a Resource or NotResource (not for trust policies), a Principal exactly where the kind
 * needs one, and an alphanumeric Sid. `<` and `>` are refused anywhere, as ConsoleMe refused them: the
 * document is shown as HTML in places. Every problem is reported, not the first.
 */
export function parsePolicy(
  policy: PolicyModel['policy_document'],
  kind: PolicyKind,
  path = '/policy/policy_document',
): ParsedPolicy {
  let value: unknown = policy;
  if (typeof policy === 'string') {
    try {
      value = JSON.parse(policy) as unknown;
    } catch (error) {
      const detail = error instanceof Error ? error.message : String(error);
      return fail(path, 'POLICY_NOT_JSON', `the policy document is not valid JSON: ${detail}`);
    }
  }
  if (!isRecord(value)) {
    return fail(
      path,
      'POLICY_NOT_OBJECT',
      'the policy document must be a JSON object with Version and Statement',
    );
  }
  const problems: ChangeProblem[] = [];
  const problem = (code: string, message: string, at = path) => problems.push({ code, message, path: at });
  if (/[<>]/.test(JSON.stringify(value))) {
    problem('FORBIDDEN_CHARACTERS', 'the policy document may not contain < or >');
  }
  if (typeof value.Version !== 'string' || !VERSIONS.has(value.Version)) {
    problem('POLICY_INVALID', 'Version must be "2012-10-17" (or the older "2008-10-17")', `${path}/Version`);
  }
  const raw = value.Statement;
  const statements = statementsOf(value);
  const count = Array.isArray(raw) ? raw.length : raw === undefined ? 0 : 1;
  if (statements.length === 0 || statements.length !== count) {
    problem(
      'POLICY_INVALID',
      'Statement must be one statement object or a non-empty list of them',
      `${path}/Statement`,
    );
  }
  statements.forEach((statement, index) => {
    const at = `${path}/Statement/${index}`;
    if (typeof statement.Effect !== 'string' || !EFFECTS.has(statement.Effect)) {
      problem('POLICY_INVALID', `statement ${index}: Effect must be "Allow" or "Deny"`, `${at}/Effect`);
    }
    if ('Action' in statement === 'NotAction' in statement) {
      problem('POLICY_INVALID', `statement ${index}: give exactly one of Action and NotAction`, at);
    }
    const hasResource = 'Resource' in statement || 'NotResource' in statement;
    if (kind !== 'trust' && !hasResource) {
      problem('POLICY_INVALID', `statement ${index}: give Resource or NotResource`, at);
    }
    const hasPrincipal = 'Principal' in statement || 'NotPrincipal' in statement;
    if (kind === 'identity' && hasPrincipal) {
      problem('POLICY_INVALID', `statement ${index}: an identity policy has no Principal`, at);
    }
    if (kind !== 'identity' && !hasPrincipal) {
      problem('POLICY_INVALID', `statement ${index}: a ${kind} policy needs a Principal`, at);
    }
    if (
      statement.Sid !== undefined &&
      (typeof statement.Sid !== 'string' || !/^[A-Za-z0-9]*$/.test(statement.Sid))
    ) {
      problem('POLICY_INVALID', `statement ${index}: Sid may hold only letters and digits`, `${at}/Sid`);
    }
  });
  return problems.length > 0 ? { ok: false, problems } : { ok: true, document: value };
}

/** IAM's size measure: the document's characters without the whitespace between its tokens. */
export const policySize = (document: unknown): number => JSON.stringify(document).length;

const fail = (path: string, code: string, message: string): ParsedPolicy => ({
  ok: false,
  problems: [{ code, message, path }],
});
