import './formats.js';
import { randomUUID } from 'node:crypto';
import { Type, type Static, type TSchema } from 'typebox';
import { Compile, type Validator } from 'typebox/compile';
import { AppError } from '../errors/index.js';
import { describeSchemaProblems } from './schema-problems.js';

/** Every message on the bus is wrapped in this envelope and validated on both ends. */
export const Envelope = <T extends TSchema>(data: T) =>
  Type.Object({
    id: Type.String({ minLength: 1 }),
    type: Type.String({ minLength: 1 }),
    version: Type.Integer({ minimum: 1 }),
    occurredAt: Type.String({ format: 'date-time' }),
    source: Type.String({ minLength: 1 }),
    data,
  });

export interface EnvelopeOf<T> {
  id: string;
  type: string;
  version: number;
  occurredAt: string;
  source: string;
  data: T;
}

/** A named, versioned message: its schema, its compiled checker, and how to wrap and unwrap it. */
export interface MessageDefinition<S extends TSchema> {
  type: string;
  version: number;
  schema: S;
  wrap(data: Static<S>, source: string, id?: string): EnvelopeOf<Static<S>>;
  /** Validates the envelope and the data; throws INVALID_MESSAGE naming the first problems. */
  unwrap(value: unknown): EnvelopeOf<Static<S>>;
  check(data: unknown): data is Static<S>;
}

const envelopeHeader = Compile(Envelope(Type.Unknown()));

export function defineMessage<S extends TSchema>(
  type: string,
  version: number,
  schema: S,
): MessageDefinition<S> {
  const checker: Validator<Record<never, never>, S> = Compile(schema);
  const describe = (value: unknown) => describeSchemaProblems(checker.Errors(value), 5);
  return {
    type,
    version,
    schema,
    check: (data): data is Static<S> => checker.Check(data),
    wrap(data, source, id = randomUUID()) {
      return { id, type, version, occurredAt: new Date().toISOString(), source, data };
    },
    unwrap(value) {
      if (!envelopeHeader.Check(value)) {
        throw new AppError('INVALID_MESSAGE', `not a message envelope (expected ${type})`);
      }
      if (value.type !== type) {
        throw new AppError('INVALID_MESSAGE', `expected message ${type}, got ${value.type}`);
      }
      if (!checker.Check(value.data)) {
        throw new AppError('INVALID_MESSAGE', `invalid ${type}: ${describe(value.data)}`);
      }
      const data: Static<S> = value.data;
      return { ...value, data };
    },
  };
}
