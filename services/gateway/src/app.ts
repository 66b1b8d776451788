import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import { tableNames } from '@rolecall/shared/aws';
import type { RolecallConfig } from '@rolecall/shared/config';
import type { Logger } from '@rolecall/shared/log';
import type { Redis } from '@rolecall/shared/redis';
import Fastify, { type FastifyBaseLogger } from 'fastify';
import type { NatsConnection } from 'nats';
import { createNatsCrawlStarter } from './adapters/nats-crawl-starter.js';
import { createDynamoProbe, createNatsProbe, createRedisProbe } from './adapters/readiness-probes.js';
import { createRedisReadModel } from './adapters/redis-read-model.js';
import { createTrustedHeaderIdentitySource, type IdentitySource } from './domain/identity.js';
import { registerAuth } from './plugins/auth.js';
import { registerErrorHandling } from './plugins/error-handler.js';
import { registerOpenApi } from './plugins/openapi.js';
import { typeBoxValidatorCompiler } from './plugins/validation.js';
import { registerGetCacheStatusRoute } from './routes/cache/get-cache-status.js';
import { registerRefreshCacheRoute } from './routes/cache/refresh-cache.js';
import { DEFAULT_LIMITS, type GatewayApp, type GatewayLimits, type RouteDeps } from './routes/deps.js';
import { registerHealthcheckRoute } from './routes/health/healthcheck.js';
import { registerReadyzRoute } from './routes/health/readyz.js';
import { registerListPoliciesRoute } from './routes/policies/list-policies.js';
import { registerGetResourceRoute } from './routes/resources/get-resource.js';
import { registerListResourcesRoute } from './routes/resources/list-resources.js';
import { registerGetRoleRoute } from './routes/roles/get-role.js';
import { registerPoliciesTypeaheadRoute } from './routes/typeahead/policies-typeahead.js';
import { registerResourcesTypeaheadRoute } from './routes/typeahead/resources-typeahead.js';

export interface BuildAppDeps {
  config: RolecallConfig;
  redis: Redis;
  nc: NatsConnection;
  /** When given, /readyz also requires DynamoDB (the roles table) to answer. */
  dynamo?: DynamoDBClient;
  log: Logger;
  /**
   * Where identities come from, asked in order. Defaults to the trusted-proxy headers of
   * `config.auth`; the JWT cookie source of a later issue is added here.
   */
  identitySources?: readonly IdentitySource[];
  /** Overrides of the cost bounds (tests use small chunks to exercise chunk boundaries). */
  limits?: Partial<GatewayLimits>;
}

/** Builds the HTTP API (without listening): plugins first, then every route. */
export async function buildApp(deps: BuildAppDeps): Promise<GatewayApp> {
  const { config, log } = deps;
  // pino's Logger is what Fastify logs with; typed as Fastify's view of it so the instance type stays the default one.
  const loggerInstance: FastifyBaseLogger = log;
  const app = Fastify({
    loggerInstance,
    bodyLimit: config.gateway.bodyLimitBytes,
    // The identity comes from the TCP peer (see plugins/auth), never from X-Forwarded-For.
    trustProxy: false,
    routerOptions: { ignoreTrailingSlash: true },
  }).withTypeProvider<TypeBoxTypeProvider>();
  app.setValidatorCompiler(typeBoxValidatorCompiler);
  // Every body this API takes is JSON; anything else is answered 415 rather than parsed as text.
  app.removeContentTypeParser('text/plain');

  registerErrorHandling(app, { log });
  registerAuth(app, {
    sources: deps.identitySources ?? [
      createTrustedHeaderIdentitySource({
        userHeader: config.auth.userHeader,
        groupsHeader: config.auth.groupsHeader,
        lowercaseGroups: config.auth.lowercaseGroups,
        trustedProxies: config.gateway.trustedProxies,
      }),
    ],
    adminGroups: config.auth.adminGroups,
    lowercaseGroups: config.auth.lowercaseGroups,
  });
  await registerOpenApi(app, { publicUrl: config.gateway.publicUrl });

  const routeDeps: RouteDeps = {
    config,
    log,
    readModel: createRedisReadModel({ redis: deps.redis, keyPrefix: config.redis.keyPrefix, log }),
    crawlStarter: createNatsCrawlStarter({ nc: deps.nc }),
    probes: [
      createNatsProbe(deps.nc),
      createRedisProbe(deps.redis),
      ...(deps.dynamo ? [createDynamoProbe(deps.dynamo, tableNames(config.dynamodb.tablePrefix).roles)] : []),
    ],
    limits: { ...DEFAULT_LIMITS, ...deps.limits },
  };
  registerHealthcheckRoute(app);
  registerReadyzRoute(app, routeDeps);
  registerListPoliciesRoute(app, routeDeps);
  registerListResourcesRoute(app, routeDeps);
  registerGetRoleRoute(app, routeDeps);
  registerGetResourceRoute(app, routeDeps);
  registerResourcesTypeaheadRoute(app, routeDeps);
  registerPoliciesTypeaheadRoute(app, routeDeps);
  registerRefreshCacheRoute(app, routeDeps);
  registerGetCacheStatusRoute(app, routeDeps);
  return app;
}
