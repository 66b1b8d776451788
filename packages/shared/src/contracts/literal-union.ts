import { Type, type TLiteral, type TSchemaOptions, type TUnion } from 'typebox';

type Literals<T extends readonly string[]> = { -readonly [K in keyof T]: TLiteral<T[K]> };

/**
 * `Type.Union` of one `Type.Literal` per value, typed as the union of the values. TypeBox infers a
 * union only from a tuple of schemas, and `values.map(Type.Literal)` is an array, so it needs this cast.
 */
export function LiteralUnion<const T extends readonly string[]>(
  values: T,
  options?: TSchemaOptions,
): TUnion<Literals<T>> {
  return Type.Union(
    values.map((value) => Type.Literal(value)),
    options,
  ) as unknown as TUnion<Literals<T>>;
}
