import { parseArn } from '@rolecall/shared/iam';
import { walkIndex, type IndexSelector, type ReadModel } from './read-model.js';

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
  const results: TypeaheadEntry[] = [];
  const seen = new Set<string>();
  let scanned = 0;
  for await (const arns of walkIndex(readModel, index, { chunkSize: scan.chunkSize })) {
    const summaries = await readModel.getSummaries(arns);
    for (const summary of summaries) {
      if (++scanned > scan.scanLimit) return results;
      if (!summary || summary.itemType !== itemType) continue;
      const entry = toTypeaheadEntry(query, summary.arn, summary.name, summary.accountId);
      if (!entry || seen.has(entry.title)) continue;
      const searched = query.resource === 's3' || query.resource === 'iam_role' ? entry.title : summary.arn;
      if (!searched.toLowerCase().includes(needle)) continue;
      seen.add(entry.title);
      results.push(entry);
      if (results.length >= query.limit) return results;
    }
  }
  return results;
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
