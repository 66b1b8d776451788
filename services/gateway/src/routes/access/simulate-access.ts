import {
  AccessSimulationAnswer,
  AccessSimulationQuery,
  type AccessSimulationReply,
  type Caller,
} from '@rolecall/shared/contracts';
import { AppError } from '@rolecall/shared/errors';
import type { GatewayApp } from '../deps.js';
import { callerOf } from '../credentials/request-context.js';
import { ErrorBody, commonErrors } from '../schemas.js';

/** Evaluates an access question against the cache (services/requests answers it). */
export interface AccessSimulator {
  simulate(caller: Caller, query: AccessSimulationQuery): Promise<AccessSimulationReply>;
}

/** Refusal codes whose catalogue code is more precise than VALIDATION_FAILED; `reason` keeps the detail. */
const ARN_REFUSALS = new Set(['INVALID_PRINCIPAL', 'INVALID_RESOURCE']);

/**
 * `POST /api/v3/access/simulate`: could this principal do that action on that resource, now or once a
 * request is applied? Any signed-in user may ask: it reveals no more than the role and resource routes.
 */
export function registerSimulateAccessRoute(app: GatewayApp, simulator: AccessSimulator): void {
  app.post(
    '/api/v3/access/simulate',
    {
      schema: {
        tags: ['access'],
        summary:
          'Could this principal do this action on this resource? Evaluated against the cached policies',
        description:
          'Evaluates with @cloud-copilot/iam-simulate: the principal’s inline, managed and group policies, its permissions boundary, and the resource’s policy (bucket, queue, topic, or a role’s trust policy for sts:AssumeRole) in the resource’s own account. With request_id, the request’s changes are applied to the cached state first. `missing` lists what the cache lacks that could change the answer.',
        body: AccessSimulationQuery,
        response: {
          200: AccessSimulationAnswer,
          ...commonErrors,
          404: ErrorBody,
          503: ErrorBody,
          504: ErrorBody,
        },
      },
    },
    async (request) => {
      const reply = await simulator.simulate(callerOf(request), request.body);
      if (reply.outcome === 'answered') return reply.answer;
      if (reply.kind === 'not_found') {
        throw new AppError('NOT_FOUND', reply.message, { context: { reason: reply.code } });
      }
      throw new AppError(ARN_REFUSALS.has(reply.code) ? 'INVALID_ARN' : 'VALIDATION_FAILED', reply.message, {
        context: { reason: reply.code },
      });
    },
  );
}
