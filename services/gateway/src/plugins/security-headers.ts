import fastifyHelmet from '@fastify/helmet';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { createAddressMatcher } from '../domain/identity.js';
import { isHttps } from '../domain/public-url.js';

/**
 * The Content Security Policy of every answer. Scripts come only from this origin's files: the built UI
 * is one hashed module (Vite emits no inline script), the server-rendered challenge page loads
 * /static/challenge-approve.js, and Swagger UI at /docs loads its bundle. An injected `<script>` or an
 * `onclick=` attribute does not run. Styles allow inline: Cloudscape and the server pages set style
 * attributes and `<style>` blocks, and a style cannot reach the session or post anything. Images and
 * fonts allow `data:` (the UI's favicon, Swagger UI's icons). Nothing may frame a page (clickjacking on
 * the challenge approval), and forms and fetches go to this origin only.
 */
export const CONTENT_SECURITY_POLICY = {
  defaultSrc: ["'self'"],
  scriptSrc: ["'self'"],
  scriptSrcAttr: ["'none'"],
  styleSrc: ["'self'", "'unsafe-inline'"],
  imgSrc: ["'self'", 'data:'],
  fontSrc: ["'self'", 'data:'],
  connectSrc: ["'self'"],
  objectSrc: ["'none'"],
  baseUri: ["'none'"],
  formAction: ["'self'"],
  frameAncestors: ["'none'"],
} as const;

/**
 * Helmet's headers on every answer, API and pages alike: the CSP above, `X-Content-Type-Options:
 * nosniff`, `Referrer-Policy: no-referrer` (a challenge token in the URL never leaks to another site),
 * `X-Frame-Options`, `Cross-Origin-Opener-Policy`/`-Resource-Policy: same-origin`, and HSTS, which
 * browsers honour over https only. `upgrade-insecure-requests` is left out: the demo runs over plain
 * http on loopback, where it would send the UI's own requests to an https port nobody listens on.
 */
export async function registerSecurityHeaders(app: FastifyInstance): Promise<void> {
  await app.register(fastifyHelmet, {
    global: true,
    contentSecurityPolicy: { useDefaults: false, directives: { ...CONTENT_SECURITY_POLICY } },
    referrerPolicy: { policy: 'no-referrer' },
  });
}

export interface SecureRequestOptions {
  /** `gateway.publicUrl`: when it is https, every cookie is Secure whatever the hop in front says. */
  publicUrl: string | undefined;
  /** `gateway.trustedProxies`: only they may say, in X-Forwarded-Proto, that the browser used https. */
  trustedProxies: readonly string[];
}

/**
 * Whether the browser reached Rolecall over https, so its cookies must be `Secure`: the public URL says
 * so, or this gateway terminates TLS itself, or a trusted proxy (TLS terminated there) says
 * `X-Forwarded-Proto: https`. The header from anyone else is ignored, as identity headers are.
 */
export function createSecureRequestCheck(
  options: SecureRequestOptions,
): (request: FastifyRequest) => boolean {
  const isTrustedProxy = createAddressMatcher(options.trustedProxies);
  return (request) => {
    if (options.publicUrl !== undefined) return isHttps(options.publicUrl);
    if ('encrypted' in request.socket && request.socket.encrypted === true) return true;
    if (!isTrustedProxy(request.socket.remoteAddress)) return false;
    const forwarded = request.headers['x-forwarded-proto'];
    const first = (Array.isArray(forwarded) ? forwarded[0] : forwarded)?.split(',')[0]?.trim();
    return first?.toLowerCase() === 'https';
  };
}
