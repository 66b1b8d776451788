import { Writable } from 'node:stream';
import { pino, type DestinationStream, type Logger, type LoggerOptions } from 'pino';
import { currentRequestId } from '../tracing/request-context.js';

export type { Logger } from 'pino';

/**
 * Paths whose values are secrets wherever they appear in a logged object. Redaction happens in pino
 * before serialization, so a secret never reaches a log line even when a whole AWS response is logged.
 */
export const REDACTED_PATHS = [
  '*.SecretAccessKey',
  '*.SessionToken',
  '*.secretAccessKey',
  '*.sessionToken',
  '*.Credentials.SecretAccessKey',
  '*.Credentials.SessionToken',
  '*.credentials.secretAccessKey',
  '*.credentials.sessionToken',
  'req.headers.cookie',
  'req.headers.authorization',
  'headers.cookie',
  'headers.authorization',
  '*.password',
  '*.jwtSecret',
];

/**
 * Query parameters that carry credentials in a URL: the federation endpoint's `Session` (session key and
 * token) and `SigninToken`, and SigV4 presigned-URL parameters (`X-Amz-Signature`, `X-Amz-Security-Token`…).
 */
const SECRET_QUERY_PARAMETER = /([?&](?:Session|SigninToken|X-Amz-[A-Za-z-]+)=)(?:\\.|[^&"\s#\\])*/gi;

/**
 * Blanks credential-bearing query parameters in text, whatever logged it: a request URL, an error message,
 * a whole response. The value ends where the URL's parameter ends (`&`, `#`, white space) or where the JSON
 * string holding it ends (an unescaped `"`); escaped characters inside it (`\"`) are part of the value.
 */
export function redactUrlSecrets(text: string): string {
  return text.replace(SECRET_QUERY_PARAMETER, '$1[redacted]').replace(CHALLENGE_TOKEN_PATH, '$1[redacted]');
}

/**
 * A Weep challenge token in a path (`/noauth/v1/challenge_poller/{token}`, `…/challenge_validator/{token}`): a
 * bearer secret until it is used, since whoever polls an approved one is handed the session JWT.
 */
const CHALLENGE_TOKEN_PATH = /(\/challenge_(?:poller|validator)\/)[A-Za-z0-9_-]+/g;

export interface CreateLoggerOptions {
  service: string;
  level?: string;
  /** Where to write; defaults to stdout. Tests pass a stream to read what was logged. */
  destination?: NodeJS.WritableStream;
}

/**
 * Adds the id of the request being handled to every line logged while it is handled, whichever logger
 * writes it (a handler's, an adapter's, a library's child), so one request's lines can be found in every
 * service. Skipped where the logger is already bound to one (Fastify's request logger in the gateway).
 */
const withRequestId = (_merge: object, _level: number, logger: Logger): object => {
  const requestId = currentRequestId();
  if (requestId === undefined || 'requestId' in logger.bindings()) return {};
  return { requestId };
};

export function createLogger({ service, level = 'info', destination }: CreateLoggerOptions): Logger {
  const options: LoggerOptions = {
    level,
    base: { service },
    redact: { paths: REDACTED_PATHS, censor: '[redacted]' },
    timestamp: pino.stdTimeFunctions.isoTime,
    // Field redaction cannot see inside strings; URLs with secrets in their query are blanked in each line.
    hooks: { streamWrite: redactUrlSecrets },
    mixin: withRequestId,
  };
  return destination ? pino(options, destination as DestinationStream) : pino(options);
}

/** A logger that keeps every line it writes, parsed, for tests that check what was (not) logged. */
export function capturedLogger(options: { service?: string; level?: string } = {}): {
  log: Logger;
  lines: Record<string, unknown>[];
} {
  const lines: Record<string, unknown>[] = [];
  const destination = new Writable({
    write(chunk: Buffer, _encoding, done) {
      for (const line of chunk.toString().split('\n')) {
        if (line.trim()) lines.push(JSON.parse(line) as Record<string, unknown>);
      }
      done();
    },
  });
  const log = createLogger({
    service: options.service ?? 'test',
    level: options.level ?? 'info',
    destination,
  });
  return { log, lines };
}

/** A logger that discards everything, for unit tests. */
export const silentLogger = (): Logger => pino({ level: 'silent' });
