import type { CachedItem } from '@rolecall/shared/contracts';
import { roleNameOfArn } from './consoleme-shapes.js';
import { walkIndex, type ReadModel } from './read-model.js';
import type { ResourceIndex } from './resource-index.js';

const PARTITIONS = ['aws', 'aws-cn', 'aws-us-gov'] as const;

/**
 * Finds a cached role by account and name. ConsoleMe's URL carries no role path, so when the role is
 * not at `role/<name>` the account's roles (one ARN range per partition) are searched by name. IAM
 * role names are unique per account ignoring case; an exact-case match is preferred.
 */
export async function findRole(
  readModel: ReadModel,
  accountId: string,
  roleName: string,
  chunkSize: number,
  /** The in-memory index when it is current: the search by name then needs no Redis round trip. */
  index?: ResourceIndex,
): Promise<CachedItem | undefined> {
  const direct = await readModel.getItem(`arn:aws:iam::${accountId}:role/${roleName}`);
  if (direct?.itemType === 'iam_role') return direct;
  const lower = roleName.toLowerCase();
  let caseInsensitive: string | undefined;
  for (const partition of PARTITIONS) {
    const prefix = `arn:${partition}:iam::${accountId}:role/`;
    for await (const arns of roleArnsUnder(readModel, accountId, prefix, { chunkSize, index })) {
      for (const arn of arns) {
        const name = roleNameOfArn(arn);
        if (name === roleName) return readRole(readModel, arn);
        if (caseInsensitive === undefined && name.toLowerCase() === lower) caseInsensitive = arn;
      }
    }
  }
  return caseInsensitive === undefined ? undefined : readRole(readModel, caseInsensitive);
}

/** The account's ARNs that start with `prefix`, from the in-memory index when there is one, else Redis. */
async function* roleArnsUnder(
  readModel: ReadModel,
  accountId: string,
  prefix: string,
  options: { chunkSize: number; index?: ResourceIndex | undefined },
): AsyncGenerator<string[]> {
  if (options.index) {
    const arns: string[] = [];
    // The prefix is no ARN of its own, so starting after it starts at its first ARN.
    for (const summary of options.index.walk({ accountId }, prefix)) {
      if (!summary.arn.startsWith(prefix)) break;
      if (summary.accountId === accountId) arns.push(summary.arn);
    }
    yield arns;
    return;
  }
  // '0' sorts right after '/', so [prefix, prefix-with-0) is exactly the ARNs starting with prefix.
  const before = `${prefix.slice(0, -1)}0`;
  yield* walkIndex(
    readModel,
    { kind: 'account', accountId },
    { from: prefix, before, chunkSize: options.chunkSize },
  );
}

async function readRole(readModel: ReadModel, arn: string): Promise<CachedItem | undefined> {
  const item = await readModel.getItem(arn);
  return item?.itemType === 'iam_role' ? item : undefined;
}
