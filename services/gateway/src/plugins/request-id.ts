import { AsyncResource } from 'node:async_hooks';
import { randomUUID } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import {
  isRequestId,
  REQUEST_ID_HEADER,
  runWithRequestId,
  startHttpSpan,
  type OpenSpan,
} from '@rolecall/shared/tracing';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { createAddressMatcher } from '../domain/identity.js';

/**
 * Fastify's `genReqId`: a new UUID (unique across gateway copies: request ids go into the broker's audit
 * trail), or the `X-Request-Id` a trusted proxy sent, when it has the shape of an id. A client elsewhere
 * cannot choose the id its request is logged and audited under.
 */
export function createRequestIdGenerator(
  trustedProxies: readonly string[],
): (req: IncomingMessage) => string {
  const isTrusted = createAddressMatcher(trustedProxies);
  return (req) => {
    const incoming = req.headers['x-request-id'];
    return isTrusted(req.socket.remoteAddress) && isRequestId(incoming) ? incoming : randomUUID();
  };
}

interface RequestScope {
  span: OpenSpan;
  /** The async scope the request began in, entered again after the body is read (see below). */
  resource: AsyncResource;
}

/**
 * Makes the request id and the request's span follow the request into every service: answers it in
 * `X-Request-Id`, and handles the request under it (every log line carries it, and every NATS request
 * sent meanwhile passes it on with the trace context). Register before the other hooks, so that what they
 * log carries the id too.
 */
export function registerRequestId(
  app: FastifyInstance,
  options: { trustedProxies: readonly string[] },
): void {
  const isTrusted = createAddressMatcher(options.trustedProxies);
  const scopes = new WeakMap<FastifyRequest, RequestScope>();
  app.addHook('onRequest', (request, reply, done) => {
    void reply.header(REQUEST_ID_HEADER, request.id);
    const route = request.routeOptions.url;
    const span = startHttpSpan(
      `${request.method} ${route ?? 'unmatched'}`,
      { 'http.request.method': request.method, ...(route ? { 'http.route': route } : {}) },
      isTrusted(request.socket.remoteAddress) ? request.headers : undefined,
    );
    runWithRequestId(request.id, () =>
      span.run(() => {
        scopes.set(request, { span, resource: new AsyncResource('rolecall.request') });
        done();
      }),
    );
  });
  // The body is read in the socket's own async scope, which knows nothing of the request: the rest of
  // the request (validation, the handler) goes on in the scope it began in.
  app.addHook('preValidation', (request, _reply, done) => {
    const scope = scopes.get(request);
    if (scope) scope.resource.runInAsyncScope(done);
    else done();
  });
  app.addHook('onResponse', (request, reply, done) => {
    scopes.get(request)?.span.end(reply.statusCode);
    done();
  });
  app.addHook('onRequestAbort', (request, done) => {
    scopes.get(request)?.span.end(499);
    done();
  });
}
