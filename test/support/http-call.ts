import { request } from 'node:http';
import { SignJWT } from 'jose';

export interface CallResult {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: string;
  /** The body's `code` (the gateway's) or `error` (ConsoleMe's CLI shape), when it has one. */
  code: string | undefined;
}

/**
 * One HTTP call with node:http rather than fetch: it can bind the client's side of the connection to a
 * chosen local address (127.0.0.2, an address the gateway does not trust), and it leaves Cookie alone.
 * A JSON body is sent for every method but GET/HEAD. A stream route that answered would be cut at once.
 */
export function call(
  url: string,
  init: { method?: string; headers?: Record<string, string>; body?: unknown; localAddress?: string } = {},
): Promise<CallResult> {
  const method = init.method ?? 'GET';
  const payload = method === 'GET' || method === 'HEAD' ? undefined : JSON.stringify(init.body ?? {});
  return new Promise((resolve, reject) => {
    const req = request(
      url,
      {
        method,
        headers: {
          accept: 'application/json',
          // Content-Length always: Node sends a DELETE body neither chunked nor sized otherwise.
          ...(payload === undefined
            ? {}
            : { 'content-type': 'application/json', 'content-length': String(Buffer.byteLength(payload)) }),
          ...init.headers,
        },
        ...(init.localAddress ? { localAddress: init.localAddress } : {}),
        timeout: 20_000,
      },
      (res) => {
        const chunks: Buffer[] = [];
        const finish = () => {
          const body = Buffer.concat(chunks).toString();
          let code: string | undefined;
          try {
            const parsed = JSON.parse(body) as { code?: unknown; error?: unknown };
            code =
              typeof parsed.code === 'string'
                ? parsed.code
                : typeof parsed.error === 'string'
                  ? parsed.error
                  : undefined;
          } catch {
            code = undefined;
          }
          resolve({ status: res.statusCode ?? 0, headers: res.headers, body, code });
        };
        if ((res.headers['content-type'] ?? '').includes('text/event-stream')) {
          res.destroy();
          finish();
          return;
        }
        res.on('data', (chunk: Buffer) => chunks.push(chunk));
        res.on('end', finish);
        res.on('error', reject);
      },
    );
    req.on('timeout', () => req.destroy(new Error(`${method} ${url} did not answer in 20 s`)));
    req.on('error', reject);
    req.end(payload);
  });
}

/** A session JWT as the gateway issues it (HS256, ConsoleMe's claims), signed with `secret`. */
export function signSession(
  secret: string,
  claims: { email: string; groups: string[] },
  lifetime: { iat: number; exp: number } = {
    iat: Math.floor(Date.now() / 1000),
    exp: Math.floor(Date.now() / 1000) + 3600,
  },
): Promise<string> {
  return new SignJWT({ email: claims.email, groups: claims.groups })
    .setProtectedHeader({ alg: 'HS256', typ: 'JWT' })
    .setIssuedAt(lifetime.iat)
    .setNotBefore(lifetime.iat)
    .setExpirationTime(lifetime.exp)
    .sign(new TextEncoder().encode(secret));
}

/** The same claims under `alg: none`, with no signature: what a forger sends hoping it is trusted. */
export function unsignedSession(claims: { email: string; groups: string[] }): string {
  const segment = (value: object) => Buffer.from(JSON.stringify(value)).toString('base64url');
  const now = Math.floor(Date.now() / 1000);
  return `${segment({ alg: 'none', typ: 'JWT' })}.${segment({ ...claims, iat: now, exp: now + 3600 })}.`;
}
