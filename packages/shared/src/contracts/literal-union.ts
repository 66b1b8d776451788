import { Type, type TLiteral, type TSchemaOptions, type TUnion } from 'typebox';

/**
 * `Type.Union` of one `Type.Literal` per value, typed as the union of the values. TypeBox infers a
 * union only from a tuple of schemas, and `values.map(Type.Literal)` is an array, so it needs this
 * cast; one literal of the union of the values has the same static type, for a tuple or an array.
 */
export function LiteralUnion<const T extends readonly string[]>(
  values: T,
  options?: TSchemaOptions,
): TUnion<[TLiteral<T[number]>]> {
  return Type.Union(
    values.map((value) => Type.Literal(value)),
    options,
  ) as unknown as TUnion<[TLiteral<T[number]>]>;
}
