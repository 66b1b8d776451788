import type { Static, TSchema } from 'typebox';
import type { ErrorCode } from '../errors/index.js';
import type { MessageDefinition } from './envelope.js';

/**
 * One request/reply operation, declared once by the service that answers it: its subject, the schemas
 * of both directions (validated on both ends) and the error codes the handler may answer with, besides
 * the transport's own (`<OWNER>_UNAVAILABLE`, NATS_UNAVAILABLE, TIMEOUT).
 */
export interface Operation<Req extends TSchema = TSchema, Res extends TSchema = TSchema> {
  /** The service that answers: its NATS services API name and queue group. */
  owner: string;
  subject: string;
  request: MessageDefinition<Req>;
  reply: MessageDefinition<Res>;
  errors: readonly ErrorCode[];
}

/** An owner's operations by name: what `serve` registers and what its handlers object must cover. */
export type Catalogue = Record<string, Operation>;

export type RequestOf<O> = O extends Operation<infer Req, TSchema> ? Static<Req> : never;
export type ReplyOf<O> = O extends Operation<TSchema, infer Res> ? Static<Res> : never;

/** A handler for every operation of a catalogue, typed from its schemas: one missing does not compile. */
export type Handlers<C extends Catalogue> = {
  [K in keyof C]: (data: RequestOf<C[K]>) => Promise<ReplyOf<C[K]>>;
};

export const defineOperation = <Req extends TSchema, Res extends TSchema>(
  operation: Operation<Req, Res>,
): Operation<Req, Res> => operation;
