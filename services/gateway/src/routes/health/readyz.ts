import { Type } from 'typebox';
import { checkReadiness } from '../../domain/readiness.js';
import type { GatewayApp, RouteDeps } from '../deps.js';

const Report = Type.Object({
  status: Type.Union([Type.Literal('ready'), Type.Literal('not_ready')]),
  checks: Type.Record(
    Type.String(),
    Type.Object({ ok: Type.Boolean(), error: Type.Optional(Type.String()) }),
  ),
});

/** `GET /readyz`: 200 when NATS, Redis and DynamoDB all answer; 503 naming the ones that did not. */
export function registerReadyzRoute(app: GatewayApp, deps: RouteDeps): void {
  app.get(
    '/readyz',
    {
      config: { access: 'public' },
      schema: {
        tags: ['health'],
        summary: 'Readiness: every dependency answers',
        response: { 200: Report, 503: Report },
      },
    },
    async (_request, reply) => {
      const report = await checkReadiness(deps.probes, deps.limits.readinessTimeoutMs);
      if (!report.ready) {
        deps.log.warn({ checks: report.checks }, 'not ready');
      }
      return reply
        .status(report.ready ? 200 : 503)
        .send({ status: report.ready ? ('ready' as const) : ('not_ready' as const), checks: report.checks });
    },
  );
}
