import {
  CachedItem,
  DETAILS_OF_ITEM,
  describeSchemaProblems,
  type ItemType,
  type TypedCachedItem,
} from '@rolecall/shared/contracts';
import type { Static, TSchema } from 'typebox';
import { Compile, type Validator } from 'typebox/compile';

/** What a schema check found: the value, typed, or what is wrong with it. */
export type Checked<T> = { ok: true; value: T } | { ok: false; problem: string };

/** The first few schema problems of a value, `path: message`, for a log line. */
function describeProblems<S extends TSchema>(
  check: Validator<Record<never, never>, S>,
  value: unknown,
): string {
  return describeSchemaProblems(check.Errors(value), 3);
}

/** A schema check compiled on first use (nothing is compiled at import time). */
export function compileCheck<S extends TSchema>(schema: S): (value: unknown) => Checked<Static<S>> {
  let check: Validator<Record<never, never>, S> | undefined;
  return (value) => {
    check ??= Compile<S>(schema);
    return check.Check(value) ? { ok: true, value } : { ok: false, problem: describeProblems(check, value) };
  };
}

const checkItem = compileCheck(CachedItem);
const checkDetails = Object.fromEntries(
  Object.entries(DETAILS_OF_ITEM).map(([itemType, schema]) => [itemType, compileCheck(schema)]),
) as Record<ItemType, (value: unknown) => Checked<unknown>>;

/**
 * Checks a cached item, then its `details` against the schema of its item type, so that the item's
 * `itemType` narrows its `details` (`item.details.assumeRolePolicyDocument` for a role).
 */
export function checkCachedItem(value: unknown): Checked<TypedCachedItem> {
  const item = checkItem(value);
  if (!item.ok) return item;
  const details = checkDetails[item.value.itemType](item.value.details);
  if (!details.ok) return { ok: false, problem: `details of an ${item.value.itemType}: ${details.problem}` };
  // Both halves of the item's own schema hold: it is that item type's typed item.
  return { ok: true, value: item.value as TypedCachedItem };
}

/** Parses JSON text, then checks it. */
export function parseChecked<T>(raw: string, check: (value: unknown) => Checked<T>): Checked<T> {
  let value: unknown;
  try {
    value = JSON.parse(raw);
  } catch (error) {
    return { ok: false, problem: `not JSON (${(error as Error).message})` };
  }
  return check(value);
}
