/** One statement of an IAM policy document, as parsed JSON (fields are IAM's PascalCase). */
export type PolicyStatement = Record<string, unknown>;

/** An IAM policy document: `Version` and a `Statement` that is one statement or a list of them. */
export interface PolicyDocumentShape {
  Version?: unknown;
  Statement?: unknown;
  [key: string]: unknown;
}

export const isRecord = (value: unknown): value is Record<string, unknown> =>
  typeof value === 'object' && value !== null && !Array.isArray(value);

/** An IAM string-or-list element as a list; anything else is empty. */
export const asStrings = (value: unknown): string[] =>
  typeof value === 'string'
    ? [value]
    : Array.isArray(value)
      ? value.filter((v): v is string => typeof v === 'string')
      : [];

/** The statements of a document as a list (IAM allows a single object), or none when it is no policy. */
export function statementsOf(document: unknown): PolicyStatement[] {
  if (!isRecord(document)) return [];
  const statement = document.Statement;
  if (statement === undefined) return [];
  return (Array.isArray(statement) ? statement : [statement]).filter(isRecord);
}

/** IAM's wildcard matching (actions, ARNs): case-insensitive, `*` any run of characters, `?` any one. */
export function matchesIamPattern(pattern: string, value: string): boolean {
  const escape = (text: string) => text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
  const source = pattern
    .split('*')
    .map((part) => part.split('?').map(escape).join('.'))
    .join('.*');
  return new RegExp(`^${source}$`, 'is').test(value);
}

/**
 * A JSON text with object keys sorted at every level, so two documents that differ only in key order
 * (or whitespace) compare equal. Arrays keep their order: IAM gives list order no meaning, but a caller
 * that wants that compares sorted lists itself.
 */
export function canonicalJson(value: unknown): string {
  return JSON.stringify(sortKeys(value));
}

function sortKeys(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(sortKeys);
  if (!isRecord(value)) return value;
  return Object.fromEntries(
    Object.keys(value)
      .sort()
      .map((key) => [key, sortKeys(value[key])]),
  );
}
