import type { Socket } from 'node:net';
import { AppError, type ErrorCode } from '@rolecall/shared/errors';
import type { FastifyInstance, FastifyRequest, RouteOptions } from 'fastify';
import { ErrorBody } from '../routes/schemas.js';

/** Longest request URL (path and query) answered normally; longer is 414 URI_TOO_LONG. */
export const MAX_URL_LENGTH = 8 * 1024;
/** Most bytes of request headers (names and values) answered normally; more is 431 HEADERS_TOO_LARGE. */
export const MAX_HEADER_BYTES = 16 * 1024;
/**
 * What Node's parser accepts before it gives up on a request: above both limits, so that an oversized URL
 * or header block reaches the hook below and gets its precise status in the API's own error shape.
 */
export const PARSER_MAX_HEADER_SIZE = 64 * 1024;

/** Matches a lone UTF-16 surrogate: text that is not valid Unicode, which nothing downstream can store. */
const LONE_SURROGATE = /\p{Cs}/u;

/** The first field (as `body/a/0`) whose text is not well-formed Unicode, looking through objects and arrays. */
export function findIllFormedText(value: unknown, path: string): string | undefined {
  if (typeof value === 'string') return LONE_SURROGATE.test(value) ? path : undefined;
  if (Array.isArray(value)) {
    for (const [index, item] of value.entries()) {
      const found = findIllFormedText(item, `${path}/${index}`);
      if (found) return found;
    }
    return undefined;
  }
  if (value !== null && typeof value === 'object') {
    for (const [key, item] of Object.entries(value)) {
      const found = LONE_SURROGATE.test(key) ? `${path}/${key}` : findIllFormedText(item, `${path}/${key}`);
      if (found) return found;
    }
  }
  return undefined;
}

const headerBytes = (request: FastifyRequest) =>
  request.raw.rawHeaders.reduce((total, part) => total + Buffer.byteLength(part, 'latin1'), 0);

/**
 * Body bound of the sign-in, challenge and credential routes, whose bodies are an email, a nonce or a
 * role name and a few flags, and of every route that declares no body at all: a client sending more is
 * answered 413 BODY_TOO_LARGE as soon as that many bytes arrived, instead of being read up to the
 * gateway-wide `gateway.bodyLimitBytes` that policy documents and requests need.
 */
export const SMALL_BODY_BYTES = 8 * 1024;
export const SMALL_BODY_ROUTES: ReadonlySet<string> = new Set([
  'POST /api/v3/session/demo',
  'POST /api/v2/challenge_validator/:token',
  'POST /api/v1/get_credentials',
  'POST /api/v2/eligible_roles',
]);

/** Whether a route gets {@link SMALL_BODY_BYTES} (unless it sets its own limit): the routes above, and body-less ones. */
export const takesSmallBody = (route: Pick<RouteOptions, 'method' | 'url' | 'schema'>): boolean =>
  [route.method]
    .flat()
    .some((method) => SMALL_BODY_ROUTES.has(`${method} ${route.url}`) || !route.schema?.body);

/**
 * Bounds on what a request may be, enforced before identity and routing: 414 for an oversized URL,
 * 431 for oversized headers, 400 for text that is not well-formed Unicode (it would be refused by
 * DynamoDB later and poison the message that carries it). Body size (413, per route: see
 * {@link takesSmallBody}) and content type (415) are Fastify's checks, answered by the error handler.
 */
export function registerRequestLimits(app: FastifyInstance): void {
  // Never above the gateway-wide limit, which a deployment may set lower still.
  const small = Math.min(SMALL_BODY_BYTES, app.initialConfig.bodyLimit ?? SMALL_BODY_BYTES);
  app.addHook('onRoute', (route) => {
    if (route.bodyLimit === undefined && takesSmallBody(route)) route.bodyLimit = small;
  });
  app.addHook('onRequest', (request, _reply, done) => {
    const bytes = headerBytes(request);
    if (request.url.length > MAX_URL_LENGTH) {
      done(
        new AppError(
          'URI_TOO_LONG',
          `the request URL is ${request.url.length} characters; at most ${MAX_URL_LENGTH} are accepted`,
        ),
      );
    } else if (bytes > MAX_HEADER_BYTES) {
      done(
        new AppError(
          'HEADERS_TOO_LARGE',
          `the request headers are ${bytes} bytes; at most ${MAX_HEADER_BYTES} are accepted`,
        ),
      );
    } else done();
  });
  app.addHook('preValidation', (request, _reply, done) => {
    const field =
      findIllFormedText(request.params, 'params') ??
      findIllFormedText(request.query, 'querystring') ??
      findIllFormedText(request.body, 'body');
    if (!field) return done();
    done(
      new AppError(
        'VALIDATION_FAILED',
        `${field} is not valid Unicode (it holds a lone UTF-16 surrogate); send well-formed text`,
        { context: { fields: [field] } },
      ),
    );
  });
}

/**
 * Node's own refusal of a request too large to parse (above PARSER_MAX_HEADER_SIZE) or malformed, in the
 * API's `{code, message}` shape instead of Fastify's default body. Nothing was routed, so nothing ran.
 */
export function answerClientError(error: Error & { code?: string }, socket: Socket): void {
  if (error.code === 'ECONNRESET' || socket.destroyed) return;
  const [status, code, message]: [number, ErrorCode, string] =
    error.code === 'HPE_HEADER_OVERFLOW'
      ? [431, 'HEADERS_TOO_LARGE', `the request line and headers exceed ${PARSER_MAX_HEADER_SIZE} bytes`]
      : error.code === 'ERR_HTTP_REQUEST_TIMEOUT'
        ? [408, 'VALIDATION_FAILED', 'the request was not received in time']
        : [400, 'VALIDATION_FAILED', 'the request is not valid HTTP'];
  const body = JSON.stringify({ code, message });
  const reason =
    status === 431 ? 'Request Header Fields Too Large' : status === 408 ? 'Request Timeout' : 'Bad Request';
  socket.end(
    `HTTP/1.1 ${status} ${reason}\r\nConnection: close\r\nContent-Type: application/json\r\n` +
      `Content-Length: ${Buffer.byteLength(body)}\r\n\r\n${body}`,
  );
}

/** Statuses any route can answer, whatever it does. */
const EVERY_ROUTE = [414, 431, 503] as const;
/** Statuses of routes that take a body. */
const BODY_ROUTES = [413, 415] as const;
const takesBody = (route: RouteOptions) =>
  [route.method].flat().some((method) => ['POST', 'PUT', 'PATCH'].includes(method));

/**
 * Lists the statuses the limits above (and a dependency that is down) can give in every route's
 * response schemas, so the OpenAPI document says what a client may get. Register before the routes.
 */
export function documentCommonStatuses(app: FastifyInstance): void {
  app.addHook('onRoute', (route) => {
    if (!route.schema) return;
    const response = { ...(route.schema.response as Record<string, unknown> | undefined) };
    const statuses = [...EVERY_ROUTE, ...(takesBody(route) ? BODY_ROUTES : [])];
    for (const status of statuses) response[status] ??= ErrorBody;
    route.schema = { ...route.schema, response };
  });
}
