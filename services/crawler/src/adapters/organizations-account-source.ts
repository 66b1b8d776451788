import { OrganizationsClient, paginateListAccounts } from '@aws-sdk/client-organizations';
import { awsClientConfig, translateAwsError, type AwsClientOptions } from '@rolecall/shared/aws';
import type { AwsAccount } from '@rolecall/shared/contracts';
import type { AccountSource } from '../domain/ports.js';
import type { SpokeAccess } from './spoke-access.js';

/** Organizations' account shape → ours. `State` is the newer name of `Status`. */
export function mapOrganizationsAccount(account: {
  Id?: string | undefined;
  Name?: string | undefined;
  Status?: string | undefined;
  State?: string | undefined;
  Email?: string | undefined;
}): AwsAccount | undefined {
  if (!account.Id) return undefined;
  return {
    id: account.Id,
    name: account.Name ?? account.Id,
    status: account.Status ?? account.State ?? 'UNKNOWN',
    ...(account.Email ? { email: account.Email } : {}),
  };
}

/**
 * ListAccounts through a role in the management account, or with the hub's own credentials when no
 * management account is configured (the hub runs in it).
 */
export function createOrganizationsAccountSource(options: {
  access: SpokeAccess;
  managementAccountId?: string | undefined;
  roleName: string;
}): AccountSource {
  return {
    kind: 'organizations',
    async listAccounts() {
      const clientOptions: AwsClientOptions = options.managementAccountId
        ? {
            ...options.access.hub,
            credentials: options.access.assume(
              `arn:aws:iam::${options.managementAccountId}:role/${options.roleName}`,
            ),
          }
        : options.access.hub;
      const client = new OrganizationsClient(awsClientConfig('organizations', clientOptions));
      try {
        const accounts: AwsAccount[] = [];
        for await (const page of paginateListAccounts({ client }, {})) {
          for (const raw of page.Accounts ?? []) {
            const account = mapOrganizationsAccount(raw);
            if (account) accounts.push(account);
          }
        }
        return accounts;
      } catch (error) {
        throw translateAwsError(error, { operation: 'organizations:ListAccounts' });
      } finally {
        client.destroy();
      }
    },
  };
}
