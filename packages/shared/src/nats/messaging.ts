import type { Static, TSchema } from 'typebox';
import type { JetStreamClient, JsMsg, PubAck } from '@nats-io/jetstream';
import { Svcm } from '@nats-io/services';
import type { Msg, NatsConnection } from '@nats-io/transport-node';
import type { EnvelopeOf, MessageDefinition } from '../contracts/envelope.js';
import type { EventCatalogue, EventDataOf, EventDefinition } from '../contracts/event.js';
import type { Catalogue, Handlers, Operation, ReplyOf, RequestOf } from '../contracts/operation.js';
import { AppError, toAppError, type ErrorCode, type SerializedAppError } from '../errors/index.js';
import type { Logger } from '../log/index.js';
import { metrics, timed } from '../metrics/index.js';
import { SpanKind } from '@opentelemetry/api';
import { handleIncoming, inSpan, markFailed, outgoingHeaders } from '../tracing/spans.js';
import {
  assertNatsConnected,
  isNatsConnected,
  isNatsTimeout,
  natsEpoch,
  isNoResponders,
  natsUnavailable,
} from './connection-state.js';

const encoder = new TextEncoder();
const decoder = new TextDecoder();

export const encode = (value: unknown): Uint8Array => encoder.encode(JSON.stringify(value));
export const decode = (data: Uint8Array): unknown => JSON.parse(decoder.decode(data)) as unknown;

/**
 * Publishes an event to JetStream and waits for its stream's acknowledgement. Subject and `Nats-Msg-Id`
 * come from the declaration (`crawlerEvents.batch`…), derived from the data, which must match the
 * event's schema (INTERNAL otherwise: nothing outside the contract leaves). The message id makes
 * redelivery harmless: JetStream drops a second publish with the same id inside the stream's duplicate
 * window. Only the declared stream may store it. Fails at once with NATS_UNAVAILABLE while the connection
 * is down, instead of waiting for the acknowledgement's timeout (`timeoutMs`, default the client's 5 s).
 */
export async function publishEvent<S extends TSchema>(
  js: JetStreamClient,
  event: EventDefinition<S>,
  data: Static<S>,
  options: { source: string; timeoutMs?: number },
): Promise<PubAck> {
  if (!event.message.check(data)) throw outsideSchema(event, data);
  const subject = event.subject(data);
  const msgId = event.msgId(data);
  const envelope = event.message.wrap(data, options.source, msgId);
  // The client keeps its connection as `nc` (not in its public type); without one, the publish just waits.
  const nc = (js as unknown as { nc?: NatsConnection }).nc;
  if (nc) assertNatsConnected(nc, `publishing to ${subject}`);
  // An event published while a request is handled (an audit record, a request event) carries its
  // request id and trace context to whoever consumes it.
  const headers = outgoingHeaders();
  return js.publish(subject, encode(envelope), {
    ...(msgId ? { msgID: msgId } : {}),
    ...(headers ? { headers } : {}),
    expect: { streamName: event.stream.name },
    ...(options.timeoutMs ? { timeout: options.timeoutMs } : {}),
  });
}

/** Names the first problems of data that does not match its event's schema. */
function outsideSchema(event: EventDefinition, data: unknown): AppError {
  let problems = 'outside its schema';
  try {
    event.message.unwrap(event.message.wrap(data, 'check'));
  } catch (error) {
    if (error instanceof AppError) problems = error.message;
  }
  return new AppError('INTERNAL', `refusing to publish a ${event.message.type} event: ${problems}`);
}

/** A delivered message (JsMsg, Msg) or one read from a stream by sequence or subject (StoredMsg). */
export type ReceivedMessage = Pick<JsMsg | Msg, 'subject' | 'data'>;

/**
 * Decodes and validates a JetStream message against an event declaration (or, for request/reply, a
 * message definition); throws INVALID_MESSAGE on anything malformed.
 */
export function readMessage<S extends TSchema>(
  definition: EventDefinition<S> | MessageDefinition<S>,
  msg: ReceivedMessage,
): EnvelopeOf<Static<S>> {
  const message = isEventDefinition(definition) ? definition.message : definition;
  return message.unwrap(decodeMessage(msg));
}

/** One of a catalogue's events, named by its key, as `readEvent` found it. */
export type ReadEvent<C extends EventCatalogue> = {
  [K in keyof C]: { name: K; envelope: EnvelopeOf<EventDataOf<C[K]>> };
}[keyof C];

/**
 * Reads a message that may be any of several events of one stream (the cache's crawl results): picks the
 * declaration by the envelope's type and validates against it. Switch on `name` to get typed data. A
 * type none of them has → INVALID_MESSAGE.
 */
export function readEvent<C extends EventCatalogue>(catalogue: C, msg: ReceivedMessage): ReadEvent<C> {
  const value = decodeMessage(msg);
  const type = (value as { type?: unknown } | null)?.type;
  for (const [name, event] of Object.entries(catalogue)) {
    if (event.message.type === type) {
      return { name, envelope: event.message.unwrap(value) } as ReadEvent<C>;
    }
  }
  throw new AppError(
    'INVALID_MESSAGE',
    `message on ${msg.subject} is none of ${Object.values(catalogue)
      .map((e) => e.message.type)
      .join(', ')}`,
  );
}

function decodeMessage(msg: ReceivedMessage): unknown {
  try {
    return decode(msg.data);
  } catch {
    throw new AppError('INVALID_MESSAGE', `message on ${msg.subject} is not JSON`);
  }
}

const isEventDefinition = <S extends TSchema>(
  definition: EventDefinition<S> | MessageDefinition<S>,
): definition is EventDefinition<S> => 'message' in definition && 'msgId' in definition;

/** Reply body for request/reply: either `{ok: true, data}` or `{ok: false, error}`. */
export type Reply<T> = { ok: true; data: EnvelopeOf<T> } | { ok: false; error: SerializedAppError };

/** The error a caller gets when no copy of a service answers, named after the service. */
const UNAVAILABLE_CODES: Record<string, ErrorCode> = {
  broker: 'BROKER_UNAVAILABLE',
  crawler: 'CRAWLER_UNAVAILABLE',
  requests: 'REQUESTS_UNAVAILABLE',
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
 * Calls an operation of a catalogue (`brokerOperations.issueCredentials`…) and returns its validated
 * reply, typed from the operation's schemas, or throws the AppError the service replied with. Fails fast
 * instead of waiting out the timeout: NATS down → NATS_UNAVAILABLE at once; no copy of the service
 * subscribed → `<OWNER>_UNAVAILABLE` at once (NATS's no-responders status); and while the request is
 * pending, every second, the service is pinged through the services API, so a request whose only
 * responder died is answered within about a second, and a request whose connection dropped meanwhile
 * (its answer is lost even if NATS is back) fails with NATS_UNAVAILABLE. No answer in time → TIMEOUT.
 */
export async function request<O extends Operation>(
  nc: NatsConnection,
  operation: O,
  data: RequestOf<O>,
  options: { source: string; timeoutMs?: number },
): Promise<ReplyOf<O>> {
  return timed(recordOperation(operation.subject, 'client'), () =>
    inSpan(
      `nats request ${operation.subject}`,
      { kind: SpanKind.CLIENT, attributes: natsAttributes(operation.subject) },
      () => requestOnce(nc, operation, data, options),
    ),
  );
}

const natsAttributes = (subject: string) => ({
  'messaging.system': 'nats',
  'messaging.destination.name': subject,
});

/** Counts and times an operation, as the caller (`client`) or the service answering (`server`) saw it. */
const recordOperation =
  (subject: string, side: 'client' | 'server') => (seconds: number, outcome: string) => {
    metrics.natsOperations.inc({ subject, side, outcome });
    metrics.natsDuration.observe({ subject, side }, seconds);
  };

async function requestOnce<O extends Operation>(
  nc: NatsConnection,
  operation: O,
  data: RequestOf<O>,
  options: { source: string; timeoutMs?: number },
): Promise<ReplyOf<O>> {
  const { owner, subject } = operation;
  assertNatsConnected(nc, `calling the ${owner} service`);
  let msg: Msg;
  let liveness: ReturnType<typeof setInterval> | undefined;
  try {
    // Inside the request's span: the service continues this trace, under the caller's request id.
    const headers = outgoingHeaders();
    const answer = nc.request(subject, encode(operation.request.wrap(data, options.source)), {
      timeout: options.timeoutMs ?? 10_000,
      ...(headers ? { headers } : {}),
    });
    const epoch = natsEpoch(nc);
    const gone = new Promise<never>((_, reject) => {
      liveness = setInterval(() => {
        if (!isNatsConnected(nc) || natsEpoch(nc) !== epoch) {
          reject(natsUnavailable(`calling the ${owner} service (the connection dropped while waiting)`));
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
  return operation.reply.unwrap(reply.data).data as ReplyOf<O>;
}

/**
 * Sends a reply, or, when it is larger than the server's max_payload, an INTERNAL error reply naming its
 * size: a publish over the limit throws, and thrown here it would end the whole process, taking down
 * every request this copy of the service was serving, and the caller would only see a timeout.
 */
function respondWithin(
  nc: NatsConnection,
  msg: { subject: string; respond(data: Uint8Array): unknown },
  reply: Reply<unknown>,
  key: string,
  log: Logger,
): string {
  let data = encode(reply);
  let outcome = reply.ok ? 'ok' : reply.error.code;
  const limit = nc.info?.max_payload;
  if (limit !== undefined && data.length > limit) {
    const error = new AppError(
      'INTERNAL',
      `the ${key} reply is ${data.length} bytes, more than NATS's max_payload of ${limit} bytes`,
      { context: { bytes: data.length, maxPayload: limit } },
    );
    log.error({ err: error, subject: msg.subject }, 'reply too large for NATS');
    data = encode({ ok: false, error: error.toJSON() } satisfies Reply<unknown>);
    outcome = error.code;
  }
  try {
    msg.respond(data);
  } catch (error) {
    log.error({ err: error, subject: msg.subject }, 'could not send a reply');
  }
  return outcome;
}

/** A running set of endpoints; `stop` stops taking requests (in-flight ones still answer). */
export interface ServedEndpoints {
  stop(): Promise<void>;
}

const endpointName = (key: string) => key.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`);

/**
 * Registers a handler for every operation of a catalogue with the NATS services API, as one service named
 * after the owner (its queue group, so copies share requests). `handlers` must cover every operation with
 * the types its schemas give: a missing or mistyped handler does not compile. Requests are validated
 * before a handler sees them, replies before they leave; errors become `{ok:false, error}` replies.
 */
export async function serve<C extends Catalogue>(
  nc: NatsConnection,
  options: { version: string; log: Logger },
  catalogue: C,
  handlers: Handlers<C>,
): Promise<ServedEndpoints> {
  const operations = Object.entries(catalogue);
  const owner = operations[0]?.[1].owner;
  if (!owner || operations.some(([, op]) => op.owner !== owner)) {
    throw new AppError('INVALID_CONFIG', 'a catalogue served together must have one owner');
  }
  // @nats-io/services is a 3.0 prerelease built on an older nats-core; its connection type is the same
  // protocol surface, so the connection is handed over as its own type.
  const service = await new Svcm(nc as unknown as ConstructorParameters<typeof Svcm>[0]).add({
    name: owner,
    version: options.version,
    queue: owner,
  });
  for (const [key, operation] of operations) {
    const handle = handlers[key] as (data: unknown) => Promise<unknown>;
    service.addEndpoint(endpointName(key), {
      subject: operation.subject,
      queue: owner,
      handler: (error, msg) => {
        if (error) {
          options.log.error({ err: error, subject: operation.subject }, 'service endpoint error');
          return;
        }
        const span = {
          name: `nats handle ${operation.subject}`,
          options: { kind: SpanKind.SERVER, attributes: natsAttributes(operation.subject) },
        };
        // Handled under the caller's request id (every line logged meanwhile carries it) and inside a
        // span continuing the caller's trace.
        void handleIncoming(msg.headers, span, async (handling) => {
          const start = performance.now();
          let reply: Reply<unknown>;
          try {
            const incoming = readMessage(operation.request, msg);
            const result = await handle(incoming.data);
            if (!operation.reply.check(result)) {
              throw new AppError('INTERNAL', `the ${key} handler answered outside its reply schema`);
            }
            reply = { ok: true, data: operation.reply.wrap(result, owner) };
          } catch (caught) {
            const appError = toAppError(caught);
            if (appError.fault === 'server') {
              options.log.error({ err: caught, subject: msg.subject }, 'request failed');
              markFailed(handling, appError);
            }
            reply = { ok: false, error: appError.toJSON() };
          }
          const outcome = respondWithin(nc, msg, reply, key, options.log);
          recordOperation(operation.subject, 'server')((performance.now() - start) / 1000, outcome);
        });
      },
    });
  }
  // Resolves once the server has the subscriptions: a caller told this service is up gets an answer,
  // not "no responders".
  await nc.flush();
  return { stop: () => service.stop().then(() => undefined) };
}
