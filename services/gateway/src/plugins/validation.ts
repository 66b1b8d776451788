import { TypeBoxValidatorCompiler } from '@fastify/type-provider-typebox';
import type { FastifySchemaCompiler } from 'fastify';
import { Type, type TObject, type TSchema } from 'typebox';
import { Compile } from 'typebox/compile';
import { Value } from 'typebox/value';

/**
 * The TypeBox type provider's own compiler: bodies are checked as sent (a string is not silently
 * turned into a number), query strings and path parameters are converted first ("50" → 50).
 * ConsoleMe clients post no body at all to routes whose fields are all optional, which the
 * provider would check as `undefined`, so a missing body is checked as `{}`.
 */
export const validatorCompiler: FastifySchemaCompiler<TSchema> = (route) => {
  if (route.httpPart === 'params' && hasWildcard(route.schema)) return wildcardParamsValidator(route.schema);
  const validate = TypeBoxValidatorCompiler(route);
  if (route.httpPart !== 'body') return validate;
  return (input: unknown) => validate(input ?? {});
};

function hasWildcard(schema: TSchema): schema is TObject {
  const properties = (schema as { properties?: Record<string, unknown> }).properties;
  return properties !== undefined && '*' in properties;
}

/**
 * Ours, because TypeBox 1.4's `Value.Convert` reads property names as regular expressions and Fastify
 * names a wildcard parameter `*` (`/^*$/` throws): the other parameters are converted with the
 * wildcard left out (it is text already), then all of them are checked, as the provider does.
 */
function wildcardParamsValidator(schema: TObject): ReturnType<FastifySchemaCompiler<TSchema>> {
  const others = Object.fromEntries(Object.entries(schema.properties).filter(([name]) => name !== '*'));
  const convertible = Type.Object(others);
  const check = Compile(schema);
  return (input: unknown) => {
    const value = Value.Convert(convertible, input);
    return check.Check(value) ? { value } : { error: check.Errors(value) };
  };
}
