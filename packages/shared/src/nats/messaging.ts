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
import { AppError, toAppError, type ErrorCode, type SerializedAppError } from '../errors/index.js';
import type { Logger } from '../log/index.js';
import {
  assertNatsConnected,
  isNatsConnected,
  isNatsTimeout,
  isNoResponders,
  natsUnavailable,
} from './connection-state.js';

const codec = JSONCodec<unknown>();

export const encode = (value: unknown): Uint8Array => codec.encode(value);
export const decode = (data: Uint8Array): unknown => codec.decode(data);

/**
 * Publishes an enveloped message to JetStream and waits for the stream's acknowledgement. `msgId` makes
 * redelivery harmless: JetStream drops a second publish with the same id inside the stream's duplicate
 * window. Fails at once with NATS_UNAVAILABLE while the connection is down, instead of waiting for the
 * acknowledgement's timeout (`timeoutMs`, default the client's 5 s).
 */
export async function publishEvent<S extends TSchema>(
  js: JetStreamClient,
  subject: string,
  definition: MessageDefinition<S>,
  data: EnvelopeOf<unknown>['data'],
  options: { source: string; msgId?: string; timeoutMs?: number },
): Promise<PubAck> {
  // The client keeps its connection as `nc` (not in its public type); without one, the publish just waits.
  const nc = (js as unknown as { nc?: NatsConnection }).nc;
  if (nc) assertNatsConnected(nc, `publishing to ${subject}`);
  const envelope = definition.wrap(data, options.source, options.msgId);
  return js.publish(subject, encode(envelope), {
    ...(options.msgId ? { msgID: options.msgId } : {}),
    ...(options.timeoutMs ? { timeout: options.timeoutMs } : {}),
  });
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

/** The error a caller gets when no copy of a service answers, named after the service (the subject's owner). */
const UNAVAILABLE_CODES: Record<string, ErrorCode> = {
  broker: 'BROKER_UNAVAILABLE',
  crawler: 'CRAWLER_UNAVAILABLE',
};
const serviceUnavailable = (owner: string, subject: string, cause?: unknown) =>
  new AppError(
    UNAVAILABLE_CODES[owner] ?? 'UPSTREAM_UNAVAILABLE',
    `no ${owner} service is answering ${subject}; is it running?`,
    { ...(cause === undefined ? {} : { cause }), context: { service: owner } },
  );

/** How often a pending request checks that its service (and NATS) are still there. */
const LIVENESS_CHECK_MS = 1_000;

/**
 * Sends a request and returns the validated reply data, or throws the AppError the other side
 * replied with. Fails fast instead of waiting out the timeout: NATS down → NATS_UNAVAILABLE at once; no
 * copy of the service subscribed → `<SERVICE>_UNAVAILABLE` at once (NATS's no-responders status); and
 * while the request is pending, every second, the service is pinged through the services API, so a
 * request whose only responder died is answered within about a second. No answer in time → TIMEOUT.
 */
export async function request<Req extends TSchema, Res extends TSchema>(
  nc: NatsConnection,
  subject: string,
  requestDefinition: MessageDefinition<Req>,
  replyDefinition: MessageDefinition<Res>,
  data: EnvelopeOf<unknown>['data'],
  options: { source: string; timeoutMs?: number },
) {
  const owner = subject.split('.')[0] ?? subject;
  assertNatsConnected(nc, `calling the ${owner} service`);
  let msg: Msg;
  let liveness: ReturnType<typeof setInterval> | undefined;
  try {
    const answer = nc.request(subject, encode(requestDefinition.wrap(data, options.source)), {
      timeout: options.timeoutMs ?? 10_000,
    });
    const gone = new Promise<never>((_, reject) => {
      liveness = setInterval(() => {
        if (!isNatsConnected(nc)) {
          reject(natsUnavailable(`calling the ${owner} service`));
          return;
        }
        nc.request(`$SRV.PING.${owner}`, undefined, { timeout: LIVENESS_CHECK_MS }).catch(
          (error: unknown) => {
            if (isNoResponders(error)) reject(serviceUnavailable(owner, subject, error));
          },
        );
      }, LIVENESS_CHECK_MS);
    });
    msg = await Promise.race([answer, gone]);
  } catch (error) {
    if (error instanceof AppError) throw error;
    if (isNoResponders(error)) throw serviceUnavailable(owner, subject, error);
    if (isNatsTimeout(error))
      throw new AppError('TIMEOUT', `${subject} did not answer in time`, { cause: error });
    if (!isNatsConnected(nc)) throw natsUnavailable(`calling the ${owner} service`, error);
    throw toAppError(error);
  } finally {
    clearInterval(liveness);
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
