import type { ItemSummary } from '@rolecall/shared/contracts';
import { compileSearchRegex } from '@rolecall/shared/regex';

/** The columns ConsoleMe's /policies table lets a user filter on. */
export const POLICY_FILTER_COLUMNS = ['account_id', 'account_name', 'arn', 'technology'] as const;
export type PolicyFilterColumn = (typeof POLICY_FILTER_COLUMNS)[number];

/** One row of ConsoleMe's resource table (`POST /api/v2/policies`). */
export interface PolicyRow {
  account_id: string;
  account_name: string;
  arn: string;
  technology: string;
  templated: false;
  errors: 0;
  last_seen: string;
}

export function toPolicyRow(summary: ItemSummary, accountName: (id: string) => string): PolicyRow {
  return {
    account_id: summary.accountId,
    account_name: accountName(summary.accountId),
    arn: summary.arn,
    technology: summary.technology,
    // Rolecall has no infrastructure-as-code templates nor CloudTrail error counts; ConsoleMe's UI
    // expects the columns, so they carry their "nothing to show" values.
    templated: false,
    errors: 0,
    last_seen: summary.lastSeenAt,
  };
}

export type PolicyRowMatcher = (row: PolicyRow) => boolean;

/**
 * Compiles ConsoleMe-style filters (column → case-insensitive RE2 regex searched anywhere in the
 * value). Empty patterns filter nothing, as in ConsoleMe. Throws VALIDATION_FAILED for invalid ones.
 */
export function compilePolicyFilters(filters: Partial<Record<PolicyFilterColumn, string>>): PolicyRowMatcher {
  const tests = Object.entries(filters)
    .filter(([, pattern]) => pattern !== undefined && pattern.trim() !== '')
    .map(([column, pattern]) => ({
      column: column as PolicyFilterColumn,
      regex: compileSearchRegex((pattern ?? '').trim(), column),
    }));
  return (row) => tests.every(({ column, regex }) => regex.test(row[column]));
}
