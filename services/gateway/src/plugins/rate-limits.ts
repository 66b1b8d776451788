import { AppError } from '@rolecall/shared/errors';
import type { FastifyRequest } from 'fastify';
import type { RateLimiter } from '../domain/ports.js';
import { normaliseAddress } from '../domain/identity.js';

export interface RateLimitHookOptions {
  /** The shared counter (Redis: every gateway copy counts into the same window). */
  limiter: RateLimiter;
  /** What the limit is on, for the message: "login challenges from your address". */
  what: string;
  perMinute: number;
  /** Whom a request is charged to; `undefined` charges nobody (e.g. no identity on a route that needs one). */
  subject: (request: FastifyRequest) => string | undefined;
}

/**
 * A route hook charging one request to its subject and refusing it with 429 RATE_LIMITED (Retry-After
 * from the error handler) once the subject is over its limit. Used as the route's `preValidation`, so
 * a refused request is counted and answered before its body is validated or anything is done with it.
 */
export function createRateLimitHook(options: RateLimitHookOptions) {
  return async (request: FastifyRequest): Promise<void> => {
    const subject = options.subject(request);
    if (subject === undefined) return;
    const verdict = await options.limiter.hit(subject);
    if (verdict.allowed) return;
    throw new AppError(
      'RATE_LIMITED',
      `too many ${options.what}: at most ${options.perMinute} per minute; retry in ${verdict.retryAfterSeconds} s`,
      { context: { retryAfterSeconds: verdict.retryAfterSeconds } },
    );
  };
}

/** Charges the TCP peer: for routes used before anyone is signed in. */
export const byPeerAddress = (request: FastifyRequest): string =>
  normaliseAddress(request.socket.remoteAddress ?? '');
