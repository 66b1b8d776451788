import { parseArn } from '@rolecall/shared/iam';
import type { ItemSummary } from '@rolecall/shared/contracts';
import { walkIndex, type IndexSelector, type ReadModel } from './read-model.js';
import type { ResourceIndex } from './resource-index.js';

export interface ArnTypeaheadQuery {
  typeahead: string;
  accountId?: string;
  /** The ARN's service field (s3, sqs, iam, ec2…): what ConsoleMe's `resource_type` parameter means. */
  service?: string;
  region?: string;
  limit: number;
}

export function matchesArnTypeahead(arn: string, query: ArnTypeaheadQuery): boolean {
  const parts = parseArn(arn);
  if (!parts) return false;
  if (query.service !== undefined && parts.service !== query.service) return false;
  if (query.region !== undefined && parts.region !== query.region) return false;
  return arn.toLowerCase().includes(query.typeahead.toLowerCase());
}

export interface ScanOptions {
  chunkSize: number;
  /** Most index entries one typeahead call looks at: a keystroke must stay cheap. */
  scanLimit: number;
}

/**
 * `GET /api/v2/typeahead/resources`: ARNs of every cached resource containing the text. The account
 * filter walks that account's index, so S3 buckets (whose ARNs carry no account) are found too.
 */
export async function typeaheadArns(
  readModel: ReadModel,
  query: ArnTypeaheadQuery,
  scan: ScanOptions,
): Promise<string[]> {
  const index: IndexSelector =
    query.accountId === undefined ? { kind: 'all' } : { kind: 'account', accountId: query.accountId };
  const found: string[] = [];
  let scanned = 0;
  for await (const arns of walkIndex(readModel, index, { chunkSize: scan.chunkSize })) {
    for (const arn of arns) {
      if (matchesArnTypeahead(arn, query)) {
        found.push(arn);
        if (found.length >= query.limit) return found;
      }
      if (++scanned >= scan.scanLimit) return found;
    }
  }
  return found;
}

/** `typeaheadArns` from the in-memory index: the same matches, in the same (ARN) order. */
export function typeaheadArnsInIndex(index: ResourceIndex, query: ArnTypeaheadQuery): string[] {
  const found: string[] = [];
  const hints = {
    needle: query.typeahead.toLowerCase(),
    ...(query.accountId === undefined ? {} : { accountId: query.accountId }),
  };
  for (const summary of index.walk(hints)) {
    if (query.accountId !== undefined && summary.accountId !== query.accountId) continue;
    if (!matchesArnTypeahead(summary.arn, query)) continue;
    found.push(summary.arn);
    if (found.length >= query.limit) break;
  }
  return found;
}

/** `resource` values of ConsoleMe's `/api/v1/policies/typeahead` that Rolecall serves. */
export const POLICY_TYPEAHEAD_RESOURCES = ['s3', 'sqs', 'sns', 'iam_arn', 'iam_role', 'account'] as const;
export type PolicyTypeaheadResource = (typeof POLICY_TYPEAHEAD_RESOURCES)[number];

export interface PolicyTypeaheadQuery {
  search: string;
  resource: PolicyTypeaheadResource;
  accountId?: string;
  limit: number;
  showFullArnForS3Buckets: boolean;
}

export interface TypeaheadEntry {
  title: string;
  account_id?: string;
}

const ITEM_TYPE_OF_RESOURCE = {
  s3: 's3_bucket',
  sqs: 'sqs_queue',
  sns: 'sns_topic',
  iam_arn: 'iam_role',
  iam_role: 'iam_role',
} as const;

/**
 * ConsoleMe's typeahead: `s3` → bucket names (or ARNs) with their account, `sqs`/`sns` → ARNs with
 * their account, `iam_arn` → role ARNs, `iam_role` → distinct role names (with path),
 * `account` → "name (id)".
 */
export async function typeaheadPolicies(
  readModel: ReadModel,
  query: PolicyTypeaheadQuery,
  scan: ScanOptions,
): Promise<TypeaheadEntry[]> {
  const needle = query.search.toLowerCase();
  if (query.resource === 'account') {
    const accounts = await readModel.listAccounts();
    return accounts
      .filter((a) => query.accountId === undefined || a.id === query.accountId)
      .map((a) => `${a.name} (${a.id})`)
      .filter((title) => title.toLowerCase().includes(needle))
      .sort((a, b) => a.localeCompare(b))
      .slice(0, query.limit)
      .map((title) => ({ title }));
  }
  const itemType = ITEM_TYPE_OF_RESOURCE[query.resource];
  const index: IndexSelector =
    query.accountId === undefined
      ? { kind: 'itemType', itemType }
      : { kind: 'account', accountId: query.accountId };
  const collector = createPolicyTypeaheadCollector({ ...query, resource: query.resource });
  let scanned = 0;
  for await (const arns of walkIndex(readModel, index, { chunkSize: scan.chunkSize })) {
    for (const summary of await readModel.getSummaries(arns)) {
      if (++scanned > scan.scanLimit) return collector.results;
      if (summary && collector.offer(summary)) return collector.results;
    }
  }
  return collector.results;
}

/** `typeaheadPolicies` from the in-memory index (the `account` kind is not in it: see typeaheadPolicies). */
export function typeaheadPoliciesInIndex(
  index: ResourceIndex,
  query: PolicyTypeaheadQuery & { resource: Exclude<PolicyTypeaheadResource, 'account'> },
): TypeaheadEntry[] {
  const collector = createPolicyTypeaheadCollector(query);
  const hints = {
    needle: query.search.toLowerCase(),
    itemType: ITEM_TYPE_OF_RESOURCE[query.resource],
    ...(query.accountId === undefined ? {} : { accountId: query.accountId }),
  };
  for (const summary of index.walk(hints)) {
    if (query.accountId !== undefined && summary.accountId !== query.accountId) continue;
    if (collector.offer(summary)) break;
  }
  return collector.results;
}

/** Takes summaries in ARN order; `offer` says when the limit is reached. */
function createPolicyTypeaheadCollector(
  query: PolicyTypeaheadQuery & { resource: Exclude<PolicyTypeaheadResource, 'account'> },
) {
  const itemType = ITEM_TYPE_OF_RESOURCE[query.resource];
  const needle = query.search.toLowerCase();
  const results: TypeaheadEntry[] = [];
  const seen = new Set<string>();
  return {
    results,
    offer(summary: ItemSummary): boolean {
      if (summary.itemType !== itemType) return false;
      const entry = toTypeaheadEntry(query, summary.arn, summary.name, summary.accountId);
      if (!entry || seen.has(entry.title)) return false;
      const searched = query.resource === 's3' || query.resource === 'iam_role' ? entry.title : summary.arn;
      if (!searched.toLowerCase().includes(needle)) return false;
      seen.add(entry.title);
      results.push(entry);
      return results.length >= query.limit;
    },
  };
}

function toTypeaheadEntry(
  query: PolicyTypeaheadQuery,
  arn: string,
  name: string,
  accountId: string,
): TypeaheadEntry | undefined {
  switch (query.resource) {
    case 's3':
      return { title: query.showFullArnForS3Buckets ? arn : name, account_id: accountId };
    case 'sqs':
    case 'sns':
      return { title: arn, account_id: accountId };
    case 'iam_arn':
      return { title: arn };
    case 'iam_role': {
      const at = arn.indexOf(':role/');
      return at === -1 ? undefined : { title: arn.slice(at + ':role/'.length) };
    }
    default:
      return undefined;
  }
}
