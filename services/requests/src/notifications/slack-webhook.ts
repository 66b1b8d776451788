import { AppError } from '@rolecall/shared/errors';
import type { SlackPayload } from './compose.js';

/** Posts a message to Slack. */
export interface SlackPoster {
  /** What logs may name the destination by: the webhook's host, never its URL. */
  readonly host: string;
  post(payload: SlackPayload): Promise<void>;
}

export interface SlackWebhookOptions {
  /** A Slack incoming webhook. A secret: whoever has it may post to the channel. */
  webhookUrl: string;
  timeoutMs?: number;
  /** For tests without a network. */
  fetch?: typeof fetch;
}

/** Statuses worth another try: the webhook may answer otherwise later. Others (400, 403, 404) will not. */
const RETRYABLE_STATUSES = new Set([408, 425, 429, 500, 502, 503, 504]);

/**
 * An incoming-webhook poster. Its errors are AppErrors that name the host and the status and carry no
 * cause: the URL, which is the secret, appears in none of them.
 */
export function createSlackWebhook({
  webhookUrl,
  timeoutMs = 5_000,
  fetch: fetchFn = fetch,
}: SlackWebhookOptions): SlackPoster {
  let url: URL;
  try {
    url = new URL(webhookUrl);
  } catch {
    throw new AppError('INVALID_CONFIG', 'the Slack webhook URL is not a URL');
  }
  if (url.protocol !== 'https:' && url.protocol !== 'http:') {
    throw new AppError('INVALID_CONFIG', 'the Slack webhook URL is not http(s)');
  }
  const host = url.host;

  return {
    host,
    async post(payload) {
      let response: Response;
      try {
        response = await fetchFn(url, {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify(payload),
          signal: AbortSignal.timeout(timeoutMs),
        });
      } catch (error) {
        throw transportError(error, host, timeoutMs);
      }
      // Read the body so the connection is released; Slack's answer ("ok", "invalid_token") helps in logs.
      const body = await response.text().catch(() => '');
      if (response.ok) return;
      throw new AppError(
        'UPSTREAM_FAILED',
        `Slack webhook at ${host} answered ${response.status}${slackReason(body)}`,
        {
          retryable: RETRYABLE_STATUSES.has(response.status),
          context: { host, status: response.status },
        },
      );
    },
  };
}

/** Slack answers errors with a short token (`invalid_payload`, `channel_not_found`); anything else is dropped. */
function slackReason(body: string): string {
  const reason = body.trim();
  return /^[a-z_]{1,64}$/.test(reason) ? ` (${reason})` : '';
}

function transportError(error: unknown, host: string, timeoutMs: number): AppError {
  const name = error instanceof Error ? error.name : '';
  if (name === 'TimeoutError' || name === 'AbortError') {
    return new AppError('TIMEOUT', `Slack webhook at ${host} did not answer within ${timeoutMs} ms`, {
      context: { host },
    });
  }
  // fetch's own error says only "fetch failed"; the system error code is in its cause.
  const code = errorCode(error instanceof Error ? error.cause : undefined) ?? errorCode(error);
  return new AppError(
    'UPSTREAM_UNAVAILABLE',
    `Slack webhook at ${host} unreachable${code ? `: ${code}` : ''}`,
    {
      context: { host, ...(code ? { errorCode: code } : {}) },
    },
  );
}

function errorCode(value: unknown): string | undefined {
  if (typeof value !== 'object' || value === null || !('code' in value)) return undefined;
  const { code } = value;
  return typeof code === 'string' && /^[A-Z0-9_]{1,40}$/.test(code) ? code : undefined;
}
