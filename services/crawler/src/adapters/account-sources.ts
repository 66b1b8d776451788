import { IAMClient, ListAccountAliasesCommand } from '@aws-sdk/client-iam';
import { OrganizationsClient, paginateListAccounts } from '@aws-sdk/client-organizations';
import { GetCallerIdentityCommand, STSClient } from '@aws-sdk/client-sts';
import { awsClientConfig, translateAwsError, type AwsClientOptions } from '@rolecall/shared/aws';
import type { RolecallConfig } from '@rolecall/shared/config';
import type { AwsAccount } from '@rolecall/shared/contracts';
import type { AccountSource } from '../domain/ports.js';
import type { SpokeAccess } from './spoke-access.js';

export function createStaticAccountSource(options: {
  accounts: RolecallConfig['accounts']['static'];
}): AccountSource {
  return {
    kind: 'static',
    listAccounts: () =>
      Promise.resolve(
        options.accounts.map((a) => ({ id: a.id, name: a.name, status: a.status ?? 'ACTIVE' })),
      ),
  };
}

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

export function createAccountSource(options: {
  accounts: RolecallConfig['accounts'];
  spokeRoleName: string;
  access: SpokeAccess;
}): AccountSource {
  switch (options.accounts.source) {
    case 'static':
      return createStaticAccountSource({ accounts: options.accounts.static });
    case 'organizations':
      return createOrganizationsAccountSource({
        access: options.access,
        managementAccountId: options.accounts.organizations.managementAccountId,
        roleName: options.accounts.organizations.roleName ?? options.spokeRoleName,
      });
    case 'current':
      return createCurrentAccountSource({ access: options.access });
  }
}
