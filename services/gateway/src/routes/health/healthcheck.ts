import { Type } from 'typebox';
import type { GatewayApp } from '../deps.js';

/** `GET /healthcheck`: the process answers HTTP (liveness); says nothing about its dependencies. */
export function registerHealthcheckRoute(app: GatewayApp): void {
  app.get(
    '/healthcheck',
    {
      config: { access: 'public' },
      schema: {
        tags: ['health'],
        summary: 'Liveness',
        response: { 200: Type.Object({ status: Type.Literal('ok') }) },
      },
    },
    () => ({ status: 'ok' as const }),
  );
}
