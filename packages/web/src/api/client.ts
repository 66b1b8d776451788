/**
 * The one way the UI talks to the gateway. Every failure becomes an ApiError carrying the API's stable
 * `code` and its message, so a page can always say what went wrong and what to do, never show a blank.
 */
export class ApiError extends Error {
  readonly status: number;
  readonly code: string;
  readonly body: unknown;

  constructor(status: number, code: string, message: string, body?: unknown) {
    super(message);
    this.name = 'ApiError';
    this.status = status;
    this.code = code;
    this.body = body;
  }
}

export interface ApiOptions {
  method?: 'GET' | 'POST' | 'PUT' | 'DELETE';
  body?: unknown;
  query?: Record<string, string | number | boolean | undefined>;
  signal?: AbortSignal;
}

export function apiUrl(path: string, query?: ApiOptions['query']): string {
  const params = new URLSearchParams();
  for (const [key, value] of Object.entries(query ?? {})) {
    if (value !== undefined && value !== '') params.set(key, String(value));
  }
  const search = params.toString();
  return search ? `${path}?${search}` : path;
}

/**
 * The gateway's CSRF token for this browser's session, from the cookie it sets beside the session
 * cookie (services/gateway/src/plugins/csrf.ts). Another site cannot read it, so it cannot repeat it.
 */
function csrfToken(): string | undefined {
  const entry = document.cookie.split('; ').find((cookie) => cookie.startsWith('rolecall_csrf='));
  return entry === undefined ? undefined : decodeURIComponent(entry.slice('rolecall_csrf='.length));
}

export async function api<T>(path: string, options: ApiOptions = {}): Promise<T> {
  const method = options.method ?? 'GET';
  const token = method === 'GET' ? undefined : csrfToken();
  const init: RequestInit = {
    method,
    credentials: 'same-origin',
    headers: { accept: 'application/json', ...(token === undefined ? {} : { 'x-csrf-token': token }) },
    ...(options.signal ? { signal: options.signal } : {}),
  };
  if (options.body !== undefined) {
    init.headers = { ...init.headers, 'content-type': 'application/json' };
    init.body = JSON.stringify(options.body);
  }
  let response: Response;
  try {
    response = await fetch(apiUrl(path, options.query), init);
  } catch (error) {
    if (error instanceof DOMException && error.name === 'AbortError') throw error;
    throw new ApiError(0, 'NETWORK_ERROR', 'Rolecall could not be reached; check your connection and retry.');
  }
  const text = await response.text();
  let body: unknown = undefined;
  if (text !== '') {
    try {
      body = JSON.parse(text);
    } catch {
      body = text;
    }
  }
  if (!response.ok) throw toApiError(response.status, body);
  return body as T;
}

/** The gateway answers `{code, message}`; ConsoleMe-shaped routes answer `{type, message, error}`. */
function toApiError(status: number, body: unknown): ApiError {
  const record = typeof body === 'object' && body !== null ? (body as Record<string, unknown>) : {};
  const code =
    typeof record.code === 'string'
      ? record.code
      : typeof record.error === 'string'
        ? record.error
        : `HTTP_${status}`;
  // The dynamic config's save answers ConsoleMe's `{status: "error", error: <message>}` with our code.
  const text =
    typeof record.message === 'string'
      ? record.message
      : typeof record.code === 'string' && typeof record.error === 'string'
        ? record.error
        : '';
  const message = text !== '' ? text : `The server answered ${status} without an explanation.`;
  return new ApiError(status, code, message, body);
}

export const isApiError = (error: unknown): error is ApiError => error instanceof ApiError;
