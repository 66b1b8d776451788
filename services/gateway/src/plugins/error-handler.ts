import { STATUS_CODES } from 'node:http';
import { AppError, type ErrorCode } from '@rolecall/shared/errors';
import type { Logger } from '@rolecall/shared/log';
import type { FastifyError, FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { schemaProblems, type SchemaProblem } from '@rolecall/shared/contracts';
import type { TLocalizedValidationError } from 'typebox/error';

/** Fields whose malformed value (pattern mismatch) has its own, more precise code than VALIDATION_FAILED. */
const FIELD_CODES: Record<string, ErrorCode> = {
  accountId: 'INVALID_ACCOUNT_ID',
  account: 'INVALID_ACCOUNT_ID',
  account_id: 'INVALID_ACCOUNT_ID',
  accountIds: 'INVALID_ACCOUNT_ID',
  cursor: 'INVALID_CURSOR',
};

/** Fastify's own errors for a bad request body or route, and what each means to a client. */
const FRAMEWORK_CODES: Record<string, ErrorCode> = {
  FST_ERR_CTP_BODY_TOO_LARGE: 'BODY_TOO_LARGE',
  FST_ERR_CTP_INVALID_MEDIA_TYPE: 'UNSUPPORTED_MEDIA_TYPE',
  FST_ERR_CTP_INVALID_CONTENT_LENGTH: 'VALIDATION_FAILED',
  FST_ERR_CTP_EMPTY_JSON_BODY: 'VALIDATION_FAILED',
  FST_ERR_CTP_INVALID_JSON_BODY: 'VALIDATION_FAILED',
};

const SECRET_KEY = /secret|token|password|credential|cookie|authorization/i;

/** Turns anything thrown into the AppError the client sees. Exported for unit tests. */
export function toHttpError(error: unknown): AppError {
  if (error instanceof AppError) return error;
  const fastifyError = error as FastifyError & {
    validation?: TLocalizedValidationError[];
    validationContext?: string;
  };
  if (Array.isArray(fastifyError.validation))
    return fromValidation(schemaProblems(fastifyError.validation), fastifyError.validationContext);
  const mapped = fastifyError.code ? FRAMEWORK_CODES[fastifyError.code] : undefined;
  if (mapped) return new AppError(mapped, describeFrameworkError(fastifyError, mapped));
  if (fastifyError.statusCode === 415) return new AppError('UNSUPPORTED_MEDIA_TYPE', fastifyError.message);
  if (fastifyError.statusCode === 413) return new AppError('BODY_TOO_LARGE', fastifyError.message);
  if (
    fastifyError.statusCode !== undefined &&
    fastifyError.statusCode >= 400 &&
    fastifyError.statusCode < 500
  ) {
    return new AppError('VALIDATION_FAILED', fastifyError.message);
  }
  return new AppError('INTERNAL', 'internal error; the gateway log has the details', { cause: error });
}

function fromValidation(problems: SchemaProblem[], context = 'request'): AppError {
  const described = problems.map((p) => `${context}${p.path} ${p.message}`);
  const fields = problems.map((p) => p.path.split('/').filter(Boolean)[0] ?? '');
  const specific = fields.map((f) => FIELD_CODES[f]).find((code) => code !== undefined);
  const code =
    specific && problems.every((p, i) => p.keyword === 'pattern' && FIELD_CODES[fields[i] ?? ''] === specific)
      ? specific
      : 'VALIDATION_FAILED';
  return new AppError(code, described.join('; '), {
    context: { fields: problems.map((p) => `${context}${p.path}`) },
  });
}

function describeFrameworkError(error: FastifyError, code: ErrorCode): string {
  switch (code) {
    case 'BODY_TOO_LARGE':
      return 'request body is larger than this server accepts';
    case 'UNSUPPORTED_MEDIA_TYPE':
      return 'unsupported Content-Type; send application/json';
    default:
      return error.code === 'FST_ERR_CTP_EMPTY_JSON_BODY'
        ? 'Content-Type is application/json but the body is empty; send {} for no options'
        : `request body is not valid JSON: ${error.message}`;
  }
}

/** Codes that ConsoleMe clients match on in ConsoleMe's own spelling (Weep: `invalid_jwt`). */
const CONSOLEME_WIRE_CODES: Partial<Record<ErrorCode, string>> = { INVALID_JWT: 'invalid_jwt' };

/** `{code, message, ...context}`; ConsoleMe's v2 routes answered problem+json, so those add status and title. */
export function errorBody(error: AppError, url: string): Record<string, unknown> {
  const context = Object.fromEntries(Object.entries(error.context).filter(([key]) => !SECRET_KEY.test(key)));
  const code = CONSOLEME_WIRE_CODES[error.code] ?? error.code;
  const body: Record<string, unknown> = { ...context, code, message: error.message };
  if (url.startsWith('/api/v2/')) {
    body.status = error.status;
    body.title = STATUS_CODES[error.status] ?? 'Error';
  }
  return body;
}

export interface ErrorHandlingOptions {
  log: Logger;
  /**
   * What a browser navigating to an unknown page gets instead of the JSON 404 (the web UI, which shows
   * its own "not found"). API paths always get JSON.
   */
  notFoundPage?: (reply: FastifyReply) => FastifyReply;
}

const API_PREFIXES = ['/api/', '/noauth/', '/docs', '/demo/'];

/** The single place where errors become HTTP responses, plus the JSON 404 for unknown routes. */
export function registerErrorHandling(
  app: FastifyInstance,
  { log, notFoundPage }: ErrorHandlingOptions,
): void {
  app.setErrorHandler((error: unknown, request: FastifyRequest, reply: FastifyReply) => {
    const appError = toHttpError(error);
    if (appError.fault === 'server') {
      log.error(
        { err: error, method: request.method, url: request.url, code: appError.code },
        'request failed',
      );
    }
    if (appError.code === 'UNAUTHENTICATED') void reply.header('www-authenticate', 'Bearer realm="rolecall"');
    const retryAfter = appError.context.retryAfterSeconds;
    if (typeof retryAfter === 'number') void reply.header('retry-after', String(retryAfter));
    return reply.status(appError.status).type('application/json').send(errorBody(appError, request.url));
  });
  app.setNotFoundHandler((request, reply) => {
    if (
      notFoundPage &&
      request.method === 'GET' &&
      (request.headers.accept ?? '').includes('text/html') &&
      !API_PREFIXES.some((prefix) => request.url.startsWith(prefix))
    ) {
      return notFoundPage(reply);
    }
    const error = new AppError(
      'ROUTE_NOT_FOUND',
      `no route ${request.method} ${request.url.split('?')[0] ?? ''}`,
    );
    return reply.status(404).type('application/json').send(errorBody(error, request.url));
  });
}
