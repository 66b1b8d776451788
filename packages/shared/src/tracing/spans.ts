import {
  context,
  propagation,
  ROOT_CONTEXT,
  SpanKind,
  SpanStatusCode,
  trace,
  type Context,
  type Span,
  type SpanOptions,
  type TextMapGetter,
  type TextMapSetter,
} from '@opentelemetry/api';
import { headers as natsHeaders, type MsgHdrs } from '@nats-io/transport-node';
import { currentRequestId, isRequestId, REQUEST_ID_HEADER, runWithRequestId } from './request-context.js';

/**
 * Spans go through the OpenTelemetry API only. Until `startTracing` registers an SDK (tracing is off
 * unless `tracing.otlpEndpoint` is set), the API's tracer makes non-recording spans and its context and
 * propagation do nothing, so this costs a few function calls per request and sends nothing.
 */
export const tracer = () => trace.getTracer('rolecall');

/**
 * Runs `fn` inside a new span (a child of `parent`, or of the active span), ended when `fn` settles. A
 * throw marks the span as an error, with the error's code (AppError, AWS) or message, and is rethrown.
 */
export function inSpan<T>(
  name: string,
  options: SpanOptions,
  fn: (span: Span) => Promise<T>,
  parent: Context = context.active(),
): Promise<T> {
  const span = tracer().startSpan(name, options, parent);
  return context.with(trace.setSpan(parent, span), async () => {
    try {
      return await fn(span);
    } catch (error) {
      markFailed(span, error);
      throw error;
    } finally {
      span.end();
    }
  });
}

/** Marks a span as failed, naming the error by its stable code where it has one. */
export function markFailed(span: Span, error: unknown): void {
  const code =
    error && typeof error === 'object' && 'code' in error && typeof error.code === 'string'
      ? error.code
      : undefined;
  span.setStatus({
    code: SpanStatusCode.ERROR,
    message: code ?? (error instanceof Error ? error.name : 'error'),
  });
}

const setHeader: TextMapSetter<MsgHdrs> = { set: (carrier, key, value) => carrier.set(key, value) };
/**
 * What is read of a received message's headers. Structural, because `@nats-io/services` carries its own
 * copy of nats-core, whose MsgHdrs type differs from the transport's in its match option only.
 */
export interface ReceivedHeaders {
  has(key: string): boolean;
  get(key: string): string;
  keys(): string[];
}

const getHeader: TextMapGetter<ReceivedHeaders> = {
  keys: (carrier) => carrier.keys(),
  get: (carrier, key) => (carrier.has(key) ? carrier.get(key) : undefined),
};

/**
 * Headers for a NATS message sent now: the request id being handled (if any) and the W3C trace context
 * (`traceparent`, `tracestate`) of the active span, so the service that takes the message logs under
 * the same request id and continues the same trace. Undefined when there is nothing to carry.
 */
export function outgoingHeaders(): MsgHdrs | undefined {
  const requestId = currentRequestId();
  const carrier = natsHeaders();
  if (requestId) carrier.set(REQUEST_ID_HEADER, requestId);
  propagation.inject(context.active(), carrier, setHeader);
  return carrier.keys().length > 0 ? carrier : undefined;
}

/**
 * Handles a NATS message as part of the request that sent it: under its request id (when it carries a
 * well-formed one), inside a span whose parent is the sender's span from `traceparent`.
 */
export function handleIncoming<T>(
  headers: ReceivedHeaders | undefined,
  span: { name: string; options: SpanOptions },
  fn: (span: Span) => Promise<T>,
): Promise<T> {
  const parent = headers ? propagation.extract(ROOT_CONTEXT, headers, getHeader) : ROOT_CONTEXT;
  const handle = () => inSpan(span.name, span.options, fn, parent);
  const requestId = headers?.has(REQUEST_ID_HEADER) ? headers.get(REQUEST_ID_HEADER) : undefined;
  return isRequestId(requestId) ? runWithRequestId(requestId, handle) : handle();
}

/** A span for work that does not fit one callback (an HTTP request, from its first hook to its answer). */
export interface OpenSpan {
  /** Runs `fn` with this span active: spans started meanwhile (the NATS request) are its children. */
  run<T>(fn: () => T): T;
  /** Ends the span with the answer's status code; a 5xx marks it failed. Once only; later calls do nothing. */
  end(statusCode: number): void;
}

/**
 * Starts a server span for an HTTP request. `incoming` are the request's headers when the caller is
 * trusted to continue its trace (`traceparent` from a proxy or load balancer); otherwise the trace starts
 * here, so nobody outside can attach spans to another's trace.
 */
export function startHttpSpan(
  name: string,
  attributes: Record<string, string>,
  incoming?: Record<string, string | string[] | undefined>,
): OpenSpan {
  const parent = incoming ? propagation.extract(ROOT_CONTEXT, incoming) : ROOT_CONTEXT;
  const span = tracer().startSpan(name, { kind: SpanKind.SERVER, attributes }, parent);
  const active = trace.setSpan(parent, span);
  let ended = false;
  return {
    run: (fn) => context.with(active, fn),
    end(statusCode) {
      if (ended) return;
      ended = true;
      span.setAttribute('http.response.status_code', statusCode);
      if (statusCode >= 500) span.setStatus({ code: SpanStatusCode.ERROR });
      span.end();
    },
  };
}
