/**
 * One closed catalogue of error codes. Every code is stable: clients, scripts and tests match on it.
 * `status` is the HTTP status the gateway answers with; `fault` says whose fault it is and
 * `retryable` whether the same call may succeed later.
 */
export const ErrorCatalogue = {
  VALIDATION_FAILED: { status: 400, fault: 'client', retryable: false },
  INVALID_ACCOUNT_ID: { status: 400, fault: 'client', retryable: false },
  INVALID_ARN: { status: 400, fault: 'client', retryable: false },
  INVALID_CURSOR: { status: 400, fault: 'client', retryable: false },
  BODY_TOO_LARGE: { status: 413, fault: 'client', retryable: false },
  UNSUPPORTED_MEDIA_TYPE: { status: 415, fault: 'client', retryable: false },
  URI_TOO_LONG: { status: 414, fault: 'client', retryable: false },
  HEADERS_TOO_LARGE: { status: 431, fault: 'client', retryable: false },
  UNAUTHENTICATED: { status: 401, fault: 'client', retryable: false },
  /** A JWT cookie that is malformed, tampered with or expired (ConsoleMe's CLI `invalid_jwt`). */
  INVALID_JWT: { status: 403, fault: 'client', retryable: false },
  FORBIDDEN: { status: 403, fault: 'client', retryable: false },
  /** A state-changing call with the session cookie but without its CSRF token (X-CSRF-Token) or with a wrong one. */
  CSRF_TOKEN_INVALID: { status: 403, fault: 'client', retryable: false },
  NOT_FOUND: { status: 404, fault: 'client', retryable: false },
  /** The route answers only in a format the client's Accept header leaves out (an event stream). */
  NOT_ACCEPTABLE: { status: 406, fault: 'client', retryable: false },
  ROUTE_NOT_FOUND: { status: 404, fault: 'client', retryable: false },
  CONFLICT: { status: 409, fault: 'client', retryable: false },
  RATE_LIMITED: { status: 429, fault: 'client', retryable: true },
  UNKNOWN_ACCOUNT: { status: 404, fault: 'client', retryable: false },
  SPOKE_ROLE_UNAVAILABLE: { status: 502, fault: 'server', retryable: false },
  ACCESS_DENIED: { status: 502, fault: 'server', retryable: false },
  UPSTREAM_THROTTLED: { status: 503, fault: 'server', retryable: true },
  UPSTREAM_FAILED: { status: 502, fault: 'server', retryable: true },
  UPSTREAM_UNAVAILABLE: { status: 503, fault: 'server', retryable: true },
  /** NATS cannot be reached from this process (disconnected, reconnecting). */
  NATS_UNAVAILABLE: { status: 503, fault: 'server', retryable: true },
  /** Redis cannot be reached (down, or a command did not answer within its timeout). */
  REDIS_UNAVAILABLE: { status: 503, fault: 'server', retryable: true },
  /** No broker process answers (none running, or the one handling the request died). */
  BROKER_UNAVAILABLE: { status: 503, fault: 'server', retryable: true },
  /** No crawler process answers. */
  CRAWLER_UNAVAILABLE: { status: 503, fault: 'server', retryable: true },
  /** No requests-service process answers. */
  REQUESTS_UNAVAILABLE: { status: 503, fault: 'server', retryable: true },
  /** The audit record could not be made durable, so nothing was issued. */
  AUDIT_UNAVAILABLE: { status: 503, fault: 'server', retryable: true },
  TIMEOUT: { status: 504, fault: 'server', retryable: true },
  INVALID_CONFIG: { status: 500, fault: 'server', retryable: false },
  INVALID_MESSAGE: { status: 400, fault: 'client', retryable: false },
  INTERNAL: { status: 500, fault: 'server', retryable: false },
  /** The demo's user picker was used where demo sign-in is off (production, or no demo users configured). */
  DEMO_SIGN_IN_DISABLED: { status: 404, fault: 'client', retryable: false },
  /** The demo sign-in named someone who is not one of the configured demo users. */
  UNKNOWN_DEMO_USER: { status: 400, fault: 'client', retryable: false },
  /** OIDC sign-in is not configured on this gateway (auth.oidc). */
  OIDC_NOT_CONFIGURED: { status: 404, fault: 'client', retryable: false },
  /** The OIDC callback's state is missing, altered or not this browser's (or the sign-in took too long). */
  OIDC_STATE_INVALID: { status: 400, fault: 'client', retryable: false },
  /** The provider refused the code or gave a token that does not verify (audience, issuer, expiry, nonce). */
  OIDC_SIGN_IN_FAILED: { status: 401, fault: 'client', retryable: false },
  /** The OpenID provider cannot be reached (discovery, token or userinfo endpoint). */
  OIDC_PROVIDER_UNAVAILABLE: { status: 503, fault: 'server', retryable: true },
} as const satisfies Record<string, { status: number; fault: 'client' | 'server'; retryable: boolean }>;

export type ErrorCode = keyof typeof ErrorCatalogue;

export interface AppErrorOptions {
  /** Extra facts for the caller and the logs. Never put secrets here. */
  context?: Record<string, unknown>;
  cause?: unknown;
  /** Overrides the catalogue's retryable flag when the caller knows better (e.g. a throttled call). */
  retryable?: boolean;
}

/** The one error type that crosses boundaries: HTTP responses, NATS error replies, JetStream nak/term. */
export class AppError extends Error {
  readonly code: ErrorCode;
  readonly status: number;
  readonly fault: 'client' | 'server';
  readonly retryable: boolean;
  readonly context: Record<string, unknown>;

  constructor(code: ErrorCode, message: string, options: AppErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'AppError';
    this.code = code;
    const entry = ErrorCatalogue[code];
    this.status = entry.status;
    this.fault = entry.fault;
    this.retryable = options.retryable ?? entry.retryable;
    this.context = options.context ?? {};
  }

  toJSON(): SerializedAppError {
    return { code: this.code, message: this.message, retryable: this.retryable, context: this.context };
  }

  static fromJSON(value: SerializedAppError): AppError {
    const code = value.code in ErrorCatalogue ? value.code : 'INTERNAL';
    return new AppError(code, value.message, { context: value.context, retryable: value.retryable });
  }
}

export interface SerializedAppError {
  code: ErrorCode;
  message: string;
  retryable: boolean;
  context: Record<string, unknown>;
}

export const isAppError = (value: unknown): value is AppError => value instanceof AppError;

/** Wraps anything thrown into an AppError, keeping AppErrors as they are. */
export function toAppError(error: unknown): AppError {
  if (isAppError(error)) return error;
  const message = error instanceof Error ? error.message : String(error);
  return new AppError('INTERNAL', message, { cause: error });
}
