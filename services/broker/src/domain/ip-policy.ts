/**
 * ConsoleMe's IP-restriction session policy: deny everything from outside the given CIDRs, except calls
 * AWS services make on the session's behalf and service-linked roles, and allow everything else (the
 * role's own policies still decide what is allowed).
 */
export function ipRestrictionPolicy(cidrs: readonly string[]): string {
  return JSON.stringify({
    Version: '2012-10-17',
    Statement: [
      {
        Effect: 'Deny',
        Action: '*',
        Resource: '*',
        Condition: {
          NotIpAddressIfExists: { 'aws:SourceIp': [...cidrs] },
          Null: { 'aws:ViaAWSService': 'true', 'aws:PrincipalTag/AWSServiceTrust': 'true' },
          StringNotLike: { 'aws:PrincipalArn': ['arn:aws:iam::*:role/aws:*'] },
        },
      },
      { Effect: 'Allow', Action: '*', Resource: '*' },
    ],
  });
}

/** Whether the request asks to lift or replace the configured IP restriction. */
export const asksForIpExemption = (request: {
  noIpRestrictions?: boolean | undefined;
  customIpRestrictions?: readonly string[] | undefined;
}): boolean =>
  request.noIpRestrictions === true || (request.customIpRestrictions ?? []).some((c) => c.trim() !== '');

/**
 * Only the configured users and groups may lift or replace the IP restriction: otherwise anyone could
 * send `no_ip_restrictions: true` or `custom_ip_restrictions: ["0.0.0.0/0"]` and get an unrestricted session.
 */
export const mayChooseIpRestrictions = (
  callerIdentities: readonly string[],
  exemptIdentities: readonly string[],
): boolean => exemptIdentities.some((identity) => callerIdentities.includes(identity));

/** Which CIDRs restrict a CLI session: none when asked not to, else the caller's own list or the config's. */
export function ipRestrictionsFor(options: {
  noIpRestrictions?: boolean | undefined;
  customIpRestrictions?: readonly string[] | undefined;
  configured: readonly string[];
}): string[] {
  if (options.noIpRestrictions) return [];
  const custom = options.customIpRestrictions?.filter((c) => c.trim() !== '') ?? [];
  return custom.length > 0 ? custom : [...options.configured];
}
