import { pino, type DestinationStream, type Logger, type LoggerOptions } from 'pino';

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

export interface CreateLoggerOptions {
  service: string;
  level?: string;
  /** Where to write; defaults to stdout. Tests pass a stream to read what was logged. */
  destination?: NodeJS.WritableStream;
}

export function createLogger({ service, level = 'info', destination }: CreateLoggerOptions): Logger {
  const options: LoggerOptions = {
    level,
    base: { service },
    redact: { paths: REDACTED_PATHS, censor: '[redacted]' },
    timestamp: pino.stdTimeFunctions.isoTime,
  };
  return destination ? pino(options, destination as DestinationStream) : pino(options);
}

/** A logger that discards everything, for unit tests. */
export const silentLogger = (): Logger => pino({ level: 'silent' });
