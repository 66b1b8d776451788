import type { Tags } from '@rolecall/shared/contracts';

/**
 * IAM returns policy documents URL-encoded (GetAccountAuthorizationDetails, GetRole); SQS, SNS and S3
 * return plain JSON. Either way the result is the parsed document; text that is not JSON is kept as is
 * rather than failing the crawl of a whole account over one odd document.
 */
export function decodePolicyDocument(document: string | undefined | null): unknown {
  if (document === undefined || document === null || document === '') return null;
  const trimmed = document.trim();
  let text = trimmed;
  if (!trimmed.startsWith('{') && !trimmed.startsWith('[')) {
    try {
      text = decodeURIComponent(trimmed);
    } catch {
      return document;
    }
  }
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return document;
  }
}

/** `[{Key, Value}]` (IAM, S3, SNS) → `{key: value}`. */
export function tagsFromList(
  list: readonly { Key?: string | undefined; Value?: string | undefined }[] | undefined,
): Tags {
  const tags: Tags = {};
  for (const tag of list ?? []) if (tag.Key !== undefined) tags[tag.Key] = tag.Value ?? '';
  return tags;
}

/** `VisibilityTimeout` → `visibilityTimeout`, for attribute maps carried in details. */
export const camelCaseKey = (key: string): string =>
  key.length === 0 ? key : key[0]!.toLowerCase() + key.slice(1);

export function camelCaseKeys<T>(record: Readonly<Record<string, T>> | undefined): Record<string, T> {
  const out: Record<string, T> = {};
  for (const [key, value] of Object.entries(record ?? {})) out[camelCaseKey(key)] = value;
  return out;
}

export const isoDate = (date: Date | string | undefined): string | undefined =>
  date === undefined ? undefined : date instanceof Date ? date.toISOString() : new Date(date).toISOString();

/** The last path segment of an ARN-like name (`arn:aws:sns:us-east-1:1:topic` → `topic`). */
export const lastSegment = (value: string, separator: string): string =>
  value.slice(value.lastIndexOf(separator) + 1);

/** What SQS and SNS say of a queue or topic, with where it is, as their mappers take it. */
export interface AttributesOf {
  attributes: Record<string, string>;
  tags: Record<string, string>;
  accountId: string;
  region: string;
}

/** SQS and SNS attributes → details: the resource policy lifted out and parsed, the rest camelCased. */
export function policyAndAttributes(raw: Record<string, string>): {
  policy: unknown;
  attributes: Record<string, string>;
} {
  const { Policy: policy, ...attributes } = raw;
  return { policy: decodePolicyDocument(policy), attributes: camelCaseKeys(attributes) };
}
