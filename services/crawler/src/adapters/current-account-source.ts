import { IAMClient, ListAccountAliasesCommand } from '@aws-sdk/client-iam';
import { GetCallerIdentityCommand, STSClient } from '@aws-sdk/client-sts';
import { awsClientConfig, translateAwsError } from '@rolecall/shared/aws';
import type { AccountSource } from '../domain/ports.js';
import type { SpokeAccess } from './spoke-access.js';

/** The hub's own account; named by its alias when it has one. */
export function createCurrentAccountSource(options: { access: SpokeAccess }): AccountSource {
  return {
    kind: 'current',
    async listAccounts() {
      const sts = new STSClient(awsClientConfig('sts', options.access.hub));
      const iam = new IAMClient(awsClientConfig('iam', options.access.hub));
      try {
        const identity = await sts.send(new GetCallerIdentityCommand({}));
        const id = identity.Account;
        if (!id) throw new Error('GetCallerIdentity returned no account');
        let alias: string | undefined;
        try {
          alias = (await iam.send(new ListAccountAliasesCommand({}))).AccountAliases?.[0];
        } catch {
          // An alias is cosmetic; a hub without iam:ListAccountAliases still crawls its account.
          alias = undefined;
        }
        return [{ id, name: alias ?? id, status: 'ACTIVE' }];
      } catch (error) {
        throw translateAwsError(error, { operation: 'sts:GetCallerIdentity' });
      } finally {
        sts.destroy();
        iam.destroy();
      }
    },
  };
}
