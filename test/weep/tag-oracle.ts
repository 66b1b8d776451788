import { GetAccountAuthorizationDetailsCommand } from '@aws-sdk/client-iam';
import { AUTHORIZED_CLI_ONLY_TAG, AUTHORIZED_TAG } from '@rolecall/testing';
import { iamIn } from '../support/aws.js';

export interface TaggedRole {
  arn: string;
  accountId: string;
  roleName: string;
  /** Identities the console-and-CLI tag names, lower-cased. */
  console: string[];
  /** Identities the cli-only tag names, lower-cased. */
  cliOnly: string[];
}

/** Every role of the accounts with its authorization tags, read straight from moto (not through Rolecall). */
export async function readTaggedRoles(endpointUrl: string, accountIds: string[]): Promise<TaggedRole[]> {
  const roles: TaggedRole[] = [];
  for (const accountId of accountIds) {
    const iam = await iamIn(endpointUrl, accountId);
    let marker: string | undefined;
    do {
      const page = await iam.send(
        new GetAccountAuthorizationDetailsCommand({ Filter: ['Role'], Marker: marker }),
      );
      for (const role of page.RoleDetailList ?? []) {
        const tag = (key: string) =>
          (role.Tags ?? [])
            .find((t) => t.Key === key)
            ?.Value?.split(':')
            .map((v) => v.trim().toLowerCase())
            .filter(Boolean) ?? [];
        roles.push({
          arn: role.Arn ?? '',
          accountId,
          roleName: role.RoleName ?? '',
          console: tag(AUTHORIZED_TAG),
          cliOnly: tag(AUTHORIZED_CLI_ONLY_TAG),
        });
      }
      marker = page.IsTruncated ? page.Marker : undefined;
    } while (marker);
  }
  return roles;
}

/**
 * The roles ConsoleMe's default tag rules give a person: a tag naming the user or one of their groups;
 * the CLI also gets the cli-only ones. Written independently of the broker, as the test's expectation.
 */
export function rolesFor(
  roles: TaggedRole[],
  person: { user: string; groups: readonly string[] },
  channel: 'cli' | 'console',
): string[] {
  const identities = new Set([person.user, ...person.groups].map((i) => i.toLowerCase()));
  return roles
    .filter(
      (role) =>
        role.console.some((i) => identities.has(i)) ||
        (channel === 'cli' && role.cliOnly.some((i) => identities.has(i))),
    )
    .map((role) => role.arn)
    .sort();
}
