import type { Static, TSchema } from 'typebox';
import type { MessageDefinition } from './envelope.js';

/**
 * A JetStream stream, declared next to the events of the service that owns it. Only the owner creates
 * it (`ensureStreams` at its start-up, with the replica count from its config); a consumer that starts
 * first waits for it. Plain values, no client types: the nats adapter turns this into a stream config.
 */
export interface StreamDefinition {
  name: string;
  /** Who creates it: a service name, or for a stream every consumer needs, who they are. */
  owner: string;
  subjects: readonly string[];
  /** `workqueue`: a message leaves once acknowledged; `limits`: messages stay until `maxAgeSeconds`. */
  retention: 'limits' | 'workqueue';
  maxAgeSeconds?: number;
  /** How long a repeated `Nats-Msg-Id` is dropped instead of stored. */
  duplicateWindowSeconds: number;
  /** At most this many messages per subject; with `refuseNewPerSubject` a new one is refused. */
  maxMessagesPerSubject?: number;
  refuseNewPerSubject?: boolean;
}

export const defineStream = <const S extends StreamDefinition>(stream: S): S => stream;

/**
 * One JetStream event, declared once by the service that publishes it: the stream it is stored in, the
 * subject and the `Nats-Msg-Id` it gets, both derived from its data, and the message (type, version,
 * schema) it is wrapped in. `publishEvent(js, event, data, {source})` and `readMessage(event, msg)` take
 * this, so nobody builds its subject or its id by hand. The message id is also the envelope's id; it is
 * what makes a repeated publish (a redelivered job run again, a retried write) one stored message.
 */
export interface EventDefinition<S extends TSchema = TSchema> {
  /** The service that publishes it (and owns `stream`). */
  owner: string;
  stream: StreamDefinition;
  message: MessageDefinition<S>;
  subject(data: Static<S>): string;
  msgId(data: Static<S>): string;
}

/** An owner's events by name. */
export type EventCatalogue = Record<string, EventDefinition>;

export type EventDataOf<E> = E extends EventDefinition<infer S> ? Static<S> : never;

export const defineEvent = <S extends TSchema>(event: EventDefinition<S>): EventDefinition<S> => event;
