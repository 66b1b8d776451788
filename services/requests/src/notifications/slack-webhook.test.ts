import { AppError } from '@rolecall/shared/errors';
import { describe, expect, it } from 'vitest';
import { createSlackWebhook } from './slack-webhook.js';

const WEBHOOK = 'https://hooks.slack.example/services/T000/B000/SECRETTOKEN';
const PAYLOAD = { text: 'hello', blocks: [] };

function fakeFetch(answer: () => Response | Promise<Response>) {
  const calls: { url: string; init: RequestInit }[] = [];
  const fn = (async (input: string | URL | Request, init?: RequestInit) => {
    calls.push({ url: String(input instanceof Request ? input.url : input), init: init ?? {} });
    return answer();
  }) as typeof fetch;
  return { fn, calls };
}

async function failure(promise: Promise<unknown>): Promise<AppError> {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(AppError);
  return error as AppError;
}

describe('createSlackWebhook', () => {
  it('posts the payload as JSON to the webhook with a timeout signal', async () => {
    const { fn, calls } = fakeFetch(() => new Response('ok'));
    await createSlackWebhook({ webhookUrl: WEBHOOK, fetch: fn }).post(PAYLOAD);
    expect(calls).toHaveLength(1);
    const [call] = calls;
    expect(call!.url).toBe(WEBHOOK);
    expect(call!.init.method).toBe('POST');
    expect(new Headers(call!.init.headers).get('content-type')).toBe('application/json');
    expect(JSON.parse(call!.init.body as string)).toEqual(PAYLOAD);
    expect(call!.init.signal).toBeInstanceOf(AbortSignal);
  });

  it.each([
    [500, true],
    [503, true],
    [429, true],
    [400, false],
    [403, false],
    [404, false],
  ])('a %i answer is an error naming the status and host, retryable=%s', async (status, retryable) => {
    const { fn } = fakeFetch(() => new Response('invalid_token', { status }));
    const error = await failure(createSlackWebhook({ webhookUrl: WEBHOOK, fetch: fn }).post(PAYLOAD));
    expect(error.code).toBe('UPSTREAM_FAILED');
    expect(error.message).toBe(`Slack webhook at hooks.slack.example answered ${status} (invalid_token)`);
    expect(error.retryable).toBe(retryable);
    expect(error.context).toEqual({ host: 'hooks.slack.example', status });
  });

  it('keeps a body that is not a Slack reason token out of the message', async () => {
    const { fn } = fakeFetch(
      () => new Response('<html>proxy echoing /services/T000/B000/SECRETTOKEN</html>', { status: 502 }),
    );
    const error = await failure(createSlackWebhook({ webhookUrl: WEBHOOK, fetch: fn }).post(PAYLOAD));
    expect(error.message).toBe('Slack webhook at hooks.slack.example answered 502');
  });

  it('turns a network failure into a retryable error with the system code and without the URL', async () => {
    const { fn } = fakeFetch(() => {
      throw new TypeError('fetch failed', {
        cause: Object.assign(new Error(`connect ECONNREFUSED for ${WEBHOOK}`), { code: 'ECONNREFUSED' }),
      });
    });
    const error = await failure(createSlackWebhook({ webhookUrl: WEBHOOK, fetch: fn }).post(PAYLOAD));
    expect(error.code).toBe('UPSTREAM_UNAVAILABLE');
    expect(error.retryable).toBe(true);
    expect(error.message).toBe('Slack webhook at hooks.slack.example unreachable: ECONNREFUSED');
    expect(error.cause).toBeUndefined();
    expect(JSON.stringify({ ...error, message: error.message })).not.toContain('SECRETTOKEN');
  });

  it('turns an abort by the timeout signal into a TIMEOUT', async () => {
    const { fn } = fakeFetch(() => {
      throw new DOMException('The operation was aborted due to timeout', 'TimeoutError');
    });
    const error = await failure(
      createSlackWebhook({ webhookUrl: WEBHOOK, fetch: fn, timeoutMs: 5000 }).post(PAYLOAD),
    );
    expect(error.code).toBe('TIMEOUT');
    expect(error.retryable).toBe(true);
    expect(error.message).toBe('Slack webhook at hooks.slack.example did not answer within 5000 ms');
  });

  it('refuses a webhook that is not an http(s) URL, without echoing it', () => {
    for (const webhookUrl of ['not a url SECRETTOKEN', 'file:///etc/SECRETTOKEN']) {
      let thrown: unknown;
      try {
        createSlackWebhook({ webhookUrl });
      } catch (e) {
        thrown = e;
      }
      expect(thrown).toBeInstanceOf(AppError);
      expect((thrown as AppError).code).toBe('INVALID_CONFIG');
      expect((thrown as AppError).message).not.toContain('SECRETTOKEN');
    }
  });

  it('exposes only the host for logs', () => {
    expect(createSlackWebhook({ webhookUrl: WEBHOOK }).host).toBe('hooks.slack.example');
  });
});
