import type { FastifyInstance } from 'fastify';
import { metrics } from '@rolecall/shared/metrics';

/**
 * Counts and times every answer by its route pattern (`/api/v2/roles/:accountId/:roleName`, never the
 * path itself, so labels stay bounded), method and status. A request no route matched is `unmatched`.
 */
export function registerHttpMetrics(app: FastifyInstance): void {
  app.addHook('onResponse', async (request, reply) => {
    const route = request.routeOptions.url ?? 'unmatched';
    const method = request.method;
    metrics.httpRequests.inc({ route, method, status: String(reply.statusCode) });
    metrics.httpDuration.observe({ route, method }, reply.elapsedTime / 1000);
  });
}
