import type { TSchema } from '@sinclair/typebox';
import { TypeCompiler } from '@sinclair/typebox/compiler';
import { Value, ValueErrorType, type ValueError } from '@sinclair/typebox/value';
import type { FastifySchemaCompiler } from 'fastify';

/** One validation problem as the error handler reports it. */
export interface FieldProblem {
  instancePath: string;
  message: string;
  /** `pattern` when a string did not match its format (an account id, a cursor…). */
  keyword: 'pattern' | 'other';
}

/**
 * Validates with TypeBox, the same library the schemas are written in. Bodies are checked as sent
 * (a string is not silently turned into a number); query strings and path parameters arrive as text,
 * so they are converted first ("50" → 50, "true" → true). A request without a body is checked as `{}`,
 * so routes whose body fields are all optional need not be sent one.
 */
export const typeBoxValidatorCompiler: FastifySchemaCompiler<TSchema> = ({ schema, httpPart }) => {
  const check = TypeCompiler.Compile(schema);
  return (input: unknown) => {
    const value = httpPart === 'body' ? (input ?? {}) : Value.Convert(schema, input);
    if (check.Check(value)) return { value };
    return { error: firstProblemPerPath([...check.Errors(value)]) as unknown as Error };
  };
};

function firstProblemPerPath(errors: ValueError[]): FieldProblem[] {
  const seen = new Set<string>();
  const problems: FieldProblem[] = [];
  for (const error of errors) {
    if (seen.has(error.path)) continue;
    seen.add(error.path);
    problems.push({
      instancePath: error.path,
      message: describe(error),
      keyword: error.type === ValueErrorType.StringPattern ? 'pattern' : 'other',
    });
  }
  return problems;
}

/** TypeBox says "Expected union value" for a list of literals; name the values instead. */
function describe(error: ValueError): string {
  const options = (error.schema as { anyOf?: { const?: unknown }[] }).anyOf;
  if (options && options.length > 0 && options.every((o) => o.const !== undefined)) {
    return `must be one of: ${options.map((o) => String(o.const)).join(', ')}`;
  }
  if (error.message === 'Unexpected property') return 'is not a known field';
  return error.message.charAt(0).toLowerCase() + error.message.slice(1);
}
