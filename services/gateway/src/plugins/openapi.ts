import swagger from '@fastify/swagger';
import swaggerUi from '@fastify/swagger-ui';
import type { FastifyInstance } from 'fastify';

/**
 * OpenAPI generated from the route schemas: `/docs/json` (spec) and `/docs` (UI), both public so the
 * API can be discovered before signing in. Must be registered before the routes it documents.
 */
export async function registerOpenApi(
  app: FastifyInstance,
  options: { publicUrl?: string | undefined },
): Promise<void> {
  await app.register(swagger, {
    openapi: {
      openapi: '3.0.3',
      info: {
        title: 'Rolecall API',
        version: '0.1.0',
        description:
          'ConsoleMe-compatible routes keep ConsoleMe paths and field names (/api/v1, /api/v2); everything else is under /api/v3. ' +
          'Errors are JSON `{code, message}` with a stable code.',
      },
      ...(options.publicUrl ? { servers: [{ url: options.publicUrl }] } : {}),
      components: {
        securitySchemes: {
          trustedHeaders: {
            type: 'apiKey',
            in: 'header',
            name: 'X-Forwarded-Email',
            description:
              'Set by the trusted authenticating proxy (oauth2-proxy); ignored from other addresses',
          },
        },
      },
      security: [{ trustedHeaders: [] }],
    },
  });
  await app.register(async (docs) => {
    docs.addHook('onRoute', (route) => {
      route.config = { ...(route.config as object), access: 'public' };
    });
    await docs.register(swaggerUi, { routePrefix: '/docs' });
  });
}
