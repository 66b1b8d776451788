import type { TLocalizedValidationError } from 'typebox/error';

/** One problem a person can act on: where, and what is wrong there. */
export interface SchemaProblem {
  /** JSON pointer of the value, `''` for the whole document. */
  path: string;
  message: string;
  /** `pattern` when a string did not match its pattern (an account id, a cursor…). */
  keyword: 'pattern' | 'other';
}

/**
 * TypeBox's errors, one per path: a list of literals is named ("must be one of: a, b") rather than
 * reported as one "must be equal to constant" per option plus the `anyOf` itself, and an unknown
 * property is "not a known field" at its own path.
 */
export function schemaProblems(errors: readonly TLocalizedValidationError[]): SchemaProblem[] {
  const byPath = new Map<string, TLocalizedValidationError[]>();
  for (const error of errors) {
    // Each unknown property is also reported at its own path, as `false` schema it failed.
    if (error.keyword === 'additionalProperties') continue;
    byPath.set(error.instancePath, [...(byPath.get(error.instancePath) ?? []), error]);
  }
  return [...byPath].map(([path, found]) => ({
    path,
    message: describe(found),
    keyword: found.some((e) => e.keyword === 'pattern') ? 'pattern' : 'other',
  }));
}

/** `path: message; …` for the first `limit` problems, for an error message or a log line. */
export function describeSchemaProblems(errors: readonly TLocalizedValidationError[], limit: number): string {
  return schemaProblems(errors)
    .slice(0, limit)
    .map((p) => `${p.path || '/'}: ${p.message}`)
    .join('; ');
}

function describe(errors: TLocalizedValidationError[]): string {
  const allowed = errors.flatMap((e) => (e.keyword === 'const' ? [String(e.params.allowedValue)] : []));
  if (allowed.length > 0 && errors.every((e) => e.keyword === 'const' || e.keyword === 'anyOf')) {
    return `must be one of: ${allowed.join(', ')}`;
  }
  const [first] = errors;
  if (first?.keyword === 'boolean' && first.schemaPath.endsWith('/additionalProperties')) {
    return 'is not a known field';
  }
  return first?.message ?? 'is not valid';
}
