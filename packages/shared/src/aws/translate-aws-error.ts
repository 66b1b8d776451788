import { AppError, type ErrorCode } from '../errors/index.js';

const THROTTLING = new Set([
  'Throttling',
  'ThrottlingException',
  'ThrottledException',
  'RequestThrottledException',
  'TooManyRequestsException',
  'RequestLimitExceeded',
  'SlowDown',
]);
const ACCESS_DENIED = new Set([
  'AccessDenied',
  'AccessDeniedException',
  'UnauthorizedOperation',
  'AuthorizationError',
]);

/** AWS SDK exception → AppError, keeping the AWS error name in the context. */
export function translateAwsError(error: unknown, context: Record<string, unknown> = {}): AppError {
  if (error instanceof AppError) return error;
  const name = (error as { name?: string })?.name ?? 'Error';
  const message = (error as Error)?.message ?? String(error);
  const status = (error as { $metadata?: { httpStatusCode?: number } })?.$metadata?.httpStatusCode;
  let code: ErrorCode = 'UPSTREAM_FAILED';
  if (THROTTLING.has(name)) code = 'UPSTREAM_THROTTLED';
  else if (ACCESS_DENIED.has(name) || status === 403) code = 'ACCESS_DENIED';
  else if (name === 'TimeoutError') code = 'TIMEOUT';
  else if (/ECONNREFUSED|ENOTFOUND|EHOSTUNREACH|socket hang up/i.test(message)) code = 'UPSTREAM_UNAVAILABLE';
  return new AppError(
    code,
    `${typeof context.operation === 'string' ? context.operation : 'AWS call'} failed: ${name}: ${message}`,
    {
      cause: error,
      context: { ...context, awsError: name, ...(status ? { httpStatus: status } : {}) },
    },
  );
}

export const isAwsErrorNamed = (error: unknown, ...names: string[]) =>
  names.includes((error as { name?: string })?.name ?? '');
