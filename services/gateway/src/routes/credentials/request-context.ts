import type { Caller, RequestContext } from '@rolecall/shared/contracts';
import type { FastifyRequest } from 'fastify';
import { normaliseAddress } from '../../domain/identity.js';

/** The caller as the broker needs it; routes using this have an identity (the auth hook ensures it). */
export function callerOf(request: FastifyRequest): Caller {
  const identity = request.identity;
  return { user: identity?.user ?? '', groups: identity?.groups ?? [] };
}

/** Source address, user agent and request id, for the broker's audit trail and IP-restricted sessions. */
export function contextOf(request: FastifyRequest): RequestContext {
  const userAgent = request.headers['user-agent'];
  return {
    sourceIp: normaliseAddress(request.socket.remoteAddress ?? ''),
    userAgent: userAgent ?? '',
    requestId: String(request.id),
  };
}
