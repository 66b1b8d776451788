import type { DeniedBy } from '@rolecall/shared/contracts';

/** What an AWS authorization error message says, as far as it says it. */
export interface ParsedAccessDenied {
  /** Whether the text is an AWS authorization error at all. */
  recognized: boolean;
  /** The SDK's error code (`AccessDenied`, `AccessDeniedException`, `UnauthorizedOperation`), when quoted. */
  errorCode?: string;
  /** The API operation (`GetObject`), when the SDK's prefix names it. */
  operation?: string;
  principal?: string;
  action?: string;
  resource?: string;
  deniedBy: DeniedBy;
  /** Whether the denial is explicit (a Deny statement), implicit (no Allow), or not said. */
  denial: 'explicit' | 'implicit' | 'unstated';
  /** The policy the message names as denying (newer messages append its ARN). */
  policyArn?: string;
  /** EC2's encoded authorization failure message. */
  encodedMessage?: string;
}

/** The policy types AWS names in "with an explicit deny in a …" and "because no … allows". */
const POLICY_TYPES: readonly { pattern: string; explicit: DeniedBy; implicit: DeniedBy }[] = [
  {
    pattern: 'identity-based polic(?:y|ies)',
    explicit: 'explicit_deny_identity',
    implicit: 'no_identity_policy',
  },
  {
    pattern: 'resource-based polic(?:y|ies)',
    explicit: 'explicit_deny_resource',
    implicit: 'resource_policy',
  },
  { pattern: 'service control polic(?:y|ies)', explicit: 'scp', implicit: 'scp' },
  { pattern: 'resource control polic(?:y|ies)', explicit: 'rcp', implicit: 'rcp' },
  {
    pattern: 'permissions? boundar(?:y|ies)',
    explicit: 'permissions_boundary',
    implicit: 'permissions_boundary',
  },
  { pattern: 'session polic(?:y|ies)', explicit: 'session_policy', implicit: 'session_policy' },
  {
    pattern: 'VPC endpoint polic(?:y|ies)',
    explicit: 'vpc_endpoint_policy',
    implicit: 'vpc_endpoint_policy',
  },
];

const SDK_PREFIX =
  /An error occurred \((?<code>[A-Za-z.]+)\) when calling the (?<operation>[A-Za-z0-9]+) operation/;
const JAVA_SDK_CODE = /Error Code: (?<code>[A-Za-z.]+)/;
/* Every run of one token is bounded (an ARN is at most 2,048 characters), so a 64 KiB message without spaces
 * cannot make a pattern scan the rest of the text from each of its positions. */
const NOT_AUTHORIZED =
  /(?:(?:User|Principal|Caller):\s*)?(?<principal>arn:[^\s"]{1,2048}|anonymous)\s+is not authorized to perform:?\s*(?<action>[A-Za-z0-9-]+:[A-Za-z0-9*]+)(?:\s+on resource:?\s*"?(?<resource>[^\s"]{1,2048})"?)?/i;
const ENCODED = /Encoded authorization failure message:\s*(?<encoded>[A-Za-z0-9_\-+/=]+)/i;
const EXPLICIT_IN = new RegExp(
  `(?:with|due to) an explicit deny in (?:an? |the )?(?<type>${POLICY_TYPES.map((t) => t.pattern).join('|')})(?::?\\s*(?<arn>arn:[^\\s".]{1,2048}(?:\\.[^\\s".]{1,2048}){0,8}))?`,
  'i',
);
const IMPLICIT_IN = new RegExp(
  `because no (?<type>${POLICY_TYPES.map((t) => t.pattern).join('|')}) allows`,
  'i',
);
const EXPLICIT_ANYWHERE = /with an explicit deny/i;
/** Services that answer a bare "Access Denied" (S3), "not authorized to perform this operation" (EC2). */
const BARE_DENIALS =
  /\bAccess Denied\b|You are not authorized to perform this operation|is not authorized to access this resource|AccessDenied(?:Exception)?|UnauthorizedOperation|not authorized to perform/i;

function policyTypeOf(text: string): (typeof POLICY_TYPES)[number] | undefined {
  return POLICY_TYPES.find((t) => new RegExp(`^${t.pattern}$`, 'i').test(text));
}

/**
 * Reads the text of an AWS AccessDenied / UnauthorizedOperation error as people paste it: with or
 * without the CLI's "An error occurred (…) when calling the … operation:" prefix, wrapped over lines,
 * inside the SDK's JSON. It takes what AWS's current messages say (principal, action, resource and the
 * "because no … allows" / "with an explicit deny in …" clause) and nothing it does not say.
 */
export function parseAccessDenied(text: string): ParsedAccessDenied {
  const flat = text.replace(/\s+/g, ' ').trim();
  const sdk = SDK_PREFIX.exec(flat)?.groups ?? JAVA_SDK_CODE.exec(flat)?.groups;
  const encoded = ENCODED.exec(flat)?.groups?.encoded;
  const base = {
    ...(sdk?.code ? { errorCode: sdk.code } : {}),
    ...(sdk?.operation ? { operation: sdk.operation } : {}),
    ...(encoded ? { encodedMessage: encoded } : {}),
  };
  // The caller's ARN directly precedes the phrase: matching from just before it keeps the match linear.
  const phrase = flat.search(/\sis not authorized to perform/i);
  const windowStart = Math.max(0, phrase - 2_100);
  const window = flat.slice(windowStart);
  const match = phrase < 0 ? null : NOT_AUTHORIZED.exec(window);
  if (match?.groups === undefined) {
    const recognized = BARE_DENIALS.test(flat) || encoded !== undefined;
    return { recognized, ...base, deniedBy: 'unknown', denial: 'unstated' };
  }
  const { principal = '', action = '', resource } = match.groups;
  const rest = window.slice(match.index + match[0].length);
  const found = {
    recognized: true,
    ...base,
    principal,
    // Some services write their prefix in capitals (SNS:Publish); IAM's own spelling is lower case.
    action: normaliseAction(action),
    ...(resource ? { resource: resource.replace(/[.,;]+$/, '') } : {}),
  };
  const explicit = EXPLICIT_IN.exec(rest);
  if (explicit?.groups?.type) {
    const type = policyTypeOf(explicit.groups.type);
    return {
      ...found,
      deniedBy: type?.explicit ?? 'unknown',
      denial: 'explicit',
      ...(explicit.groups.arn ? { policyArn: explicit.groups.arn } : {}),
    };
  }
  const implicit = IMPLICIT_IN.exec(rest);
  if (implicit?.groups?.type) {
    return {
      ...found,
      deniedBy: policyTypeOf(implicit.groups.type)?.implicit ?? 'unknown',
      denial: 'implicit',
    };
  }
  if (EXPLICIT_ANYWHERE.test(rest)) return { ...found, deniedBy: 'unknown', denial: 'explicit' };
  return { ...found, deniedBy: 'unknown', denial: 'unstated' };
}

function normaliseAction(action: string): string {
  const [service = '', name = ''] = action.split(':');
  return `${service.toLowerCase()}:${name}`;
}
