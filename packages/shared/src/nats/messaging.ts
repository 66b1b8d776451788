import type { TSchema } from '@sinclair/typebox';
import {
  JSONCodec,
  type JetStreamClient,
  type JsMsg,
  type Msg,
  type NatsConnection,
  type PubAck,
} from 'nats';
import type { EnvelopeOf, MessageDefinition } from '../contracts/envelope.js';
import { AppError, toAppError, type SerializedAppError } from '../errors/index.js';
import type { Logger } from '../log/index.js';

const codec = JSONCodec<unknown>();

export const encode = (value: unknown): Uint8Array => codec.encode(value);
export const decode = (data: Uint8Array): unknown => codec.decode(data);

/**
 * Publishes an enveloped message to JetStream. `msgId` makes redelivery harmless: JetStream drops a
 * second publish with the same id inside the stream's duplicate window.
 */
export async function publishEvent<S extends TSchema>(
  js: JetStreamClient,
  subject: string,
  definition: MessageDefinition<S>,
  data: EnvelopeOf<unknown>['data'],
  options: { source: string; msgId?: string },
): Promise<PubAck> {
  const envelope = definition.wrap(data, options.source, options.msgId);
  return js.publish(subject, encode(envelope), options.msgId ? { msgID: options.msgId } : undefined);
}

/** Decodes and validates a JetStream message; throws INVALID_MESSAGE on anything malformed. */
export function readMessage<S extends TSchema>(definition: MessageDefinition<S>, msg: JsMsg | Msg) {
  let value: unknown;
  try {
    value = decode(msg.data);
  } catch {
    throw new AppError('INVALID_MESSAGE', `message on ${msg.subject} is not JSON`);
  }
  return definition.unwrap(value);
}

/** Reply body for request/reply: either `{ok: true, data}` or `{ok: false, error}`. */
export type Reply<T> = { ok: true; data: EnvelopeOf<T> } | { ok: false; error: SerializedAppError };

/**
 * Sends a request and returns the validated reply data, or throws the AppError the other side
 * replied with. No responder → UPSTREAM_UNAVAILABLE; no answer in time → TIMEOUT.
 */
export async function request<Req extends TSchema, Res extends TSchema>(
  nc: NatsConnection,
  subject: string,
  requestDefinition: MessageDefinition<Req>,
  replyDefinition: MessageDefinition<Res>,
  data: EnvelopeOf<unknown>['data'],
  options: { source: string; timeoutMs?: number },
) {
  let msg: Msg;
  try {
    msg = await nc.request(subject, encode(requestDefinition.wrap(data, options.source)), {
      timeout: options.timeoutMs ?? 10_000,
    });
  } catch (error) {
    const text = String((error as Error).message);
    if (/503|no responders/i.test(text)) {
      throw new AppError('UPSTREAM_UNAVAILABLE', `no service is answering ${subject}; is it running?`, {
        cause: error,
      });
    }
    if (/timeout/i.test(text))
      throw new AppError('TIMEOUT', `${subject} did not answer in time`, { cause: error });
    throw toAppError(error);
  }
  const reply = decode(msg.data) as Reply<unknown>;
  if (!reply || typeof reply !== 'object' || !('ok' in reply)) {
    throw new AppError('INVALID_MESSAGE', `malformed reply on ${subject}`);
  }
  if (!reply.ok) throw AppError.fromJSON(reply.error);
  return replyDefinition.unwrap(reply.data).data;
}

/**
 * Registers a request/reply handler with the NATS services API; the queue group is the service name,
 * so copies of a service share requests. Errors become `{ok:false, error}` replies, never crashes.
 */
export async function serveRequests<Req extends TSchema, Res extends TSchema>(
  nc: NatsConnection,
  options: {
    service: string;
    version: string;
    endpoint: string;
    subject: string;
    request: MessageDefinition<Req>;
    reply: MessageDefinition<Res>;
    log: Logger;
    handle: (data: EnvelopeOf<unknown>['data']) => Promise<unknown>;
  },
) {
  const svc = await nc.services.add({
    name: options.service,
    version: options.version,
    queue: options.service,
  });
  svc.addEndpoint(options.endpoint, {
    subject: options.subject,
    queue: options.service,
    handler: (error, msg) => {
      if (error) {
        options.log.error({ err: error }, 'service endpoint error');
        return;
      }
      void (async () => {
        let reply: Reply<unknown>;
        try {
          const incoming = readMessage(options.request, msg);
          const result = await options.handle(incoming.data);
          reply = { ok: true, data: options.reply.wrap(result, options.service) };
        } catch (caught) {
          const appError = toAppError(caught);
          if (appError.fault === 'server')
            options.log.error({ err: caught, subject: msg.subject }, 'request failed');
          reply = { ok: false, error: appError.toJSON() };
        }
        msg.respond(encode(reply));
      })();
    },
  });
  return svc;
}
