import type { Caller, Channel, EligibleRolesReply } from '@rolecall/shared/contracts';
import { callerIdentities } from '../domain/authorization.js';
import type { AccountDirectory, AuthorizationMapping } from '../domain/ports.js';
import { accountIdOf, roleNameOf } from '../domain/roles.js';

/** ConsoleMe shows this when an account has no known name. */
export const UNKNOWN_ACCOUNT_NAME = 'Unknown';

/** `broker.roles.eligible`: the roles a caller may use on a channel, with account names. */
export function createEligibleRolesHandler(options: {
  mapping: AuthorizationMapping;
  accounts: AccountDirectory;
  lowercaseIdentities: boolean;
}) {
  return async (request: { caller: Caller; channel: Channel }): Promise<EligibleRolesReply> => {
    const grants = await options.mapping.eligible(callerIdentities(request.caller, options), request.channel);
    const accountIds = [...new Set(grants.map((g) => accountIdOf(g.arn)))];
    const names = await options.accounts.names(accountIds);
    return {
      roles: grants.map((grant) => {
        const accountId = accountIdOf(grant.arn);
        return {
          arn: grant.arn,
          accountId,
          accountName: names.get(accountId) ?? UNKNOWN_ACCOUNT_NAME,
          roleName: roleNameOf(grant.arn),
          cliOnly: grant.cliOnly,
        };
      }),
    };
  };
}
