import type { NatsConnection } from '@nats-io/transport-node';
import { jetstream } from '@nats-io/jetstream';
import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import fastifyCookie from '@fastify/cookie';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import { tableNames } from '@rolecall/shared/aws';
import type { RolecallConfig } from '@rolecall/shared/config';
import { createDynamicConfigStore, type DynamicConfigStore } from '@rolecall/shared/dynamic-config';
import { AppError } from '@rolecall/shared/errors';
import type { Logger } from '@rolecall/shared/log';
import { redisKeys, type Redis } from '@rolecall/shared/redis';
import Fastify, { LogController, type FastifyBaseLogger } from 'fastify';
import { createNatsBroker } from './adapters/nats-broker.js';
import { createNatsPolicyRequests } from './adapters/nats-policy-requests.js';
import { createNatsSelfService } from './adapters/nats-self-service.js';
import { createNatsCrawlStarter } from './adapters/nats-crawl-starter.js';
import { createDynamoProbe, createNatsProbe, createRedisProbe } from './adapters/readiness-probes.js';
import { createRedisChallengeStore } from './adapters/redis-challenge-store.js';
import { createRedisRateLimiter } from './adapters/redis-rate-limiter.js';
import { startLiveResourceIndex, type LiveResourceIndex } from './adapters/live-resource-index.js';
import { createRedisReadModel } from './adapters/redis-read-model.js';
import { createStsCallerIdentityLookup } from './adapters/sts-caller-identity.js';
import { createTrustedHeaderIdentitySource, type IdentitySource } from './domain/identity.js';
import { createJwtCookieIdentity } from './domain/jwt-identity.js';
import { resolveJwtKeys } from './domain/jwt-secret.js';
import type { Broker, CallerIdentityLookup } from './domain/ports.js';
import { registerAuth } from './plugins/auth.js';
import { registerCsrfProtection } from './plugins/csrf.js';
import { createSecureRequestCheck, registerSecurityHeaders } from './plugins/security-headers.js';
import { registerErrorHandling } from './plugins/error-handler.js';
import { registerOpenApi } from './plugins/openapi.js';
import {
  answerClientError,
  documentCommonStatuses,
  PARSER_MAX_HEADER_SIZE,
  registerRequestLimits,
} from './plugins/request-limits.js';
import { validatorCompiler } from './plugins/validation.js';
import { createNatsAccessSimulator } from './adapters/nats-access-simulator.js';
import { registerAccessDeniedRoute } from './routes/access/access-denied.js';
import { registerSimulateAccessRoute } from './routes/access/simulate-access.js';
import { registerAuditRoutes } from './routes/audit/audit-routes.js';
import { registerGetCacheStatusRoute } from './routes/cache/get-cache-status.js';
import { registerRefreshCacheRoute } from './routes/cache/refresh-cache.js';
import { registerChallengePage } from './routes/challenge/challenge-page.js';
import { registerChallengeRoutes } from './routes/challenge/challenge-routes.js';
import { registerDynamicConfigRoutes } from './routes/config/dynamic-config.js';
import { registerEligibleRolesRoutes } from './routes/credentials/eligible-roles.js';
import { registerRequestRoutes } from './routes/requests/request-routes.js';
import { registerRequestStreamRoutes } from './routes/requests/request-stream.js';
import { createJetStreamRequestFeed } from './adapters/jetstream-request-feed.js';
import { registerGetCredentialsRoute } from './routes/credentials/get-credentials.js';
import { registerGetResourceUrlRoute } from './routes/credentials/get-resource-url.js';
import { registerGetRolesRoutes } from './routes/credentials/get-roles.js';
import { registerRoleLoginRoute } from './routes/credentials/role-login.js';
import { registerHttpMetrics } from './plugins/http-metrics.js';
import { createRequestIdGenerator, registerRequestId } from './plugins/request-id.js';
import { registerDemoFederationRoute } from './routes/demo/demo-federation.js';
import { DEFAULT_LIMITS, type GatewayApp, type GatewayLimits, type RouteDeps } from './routes/deps.js';
import { registerHealthcheckRoute } from './routes/health/healthcheck.js';
import { registerReadyzRoute } from './routes/health/readyz.js';
import { registerCheckPolicyRoute } from './routes/policies/check-policy.js';
import { registerListPoliciesRoute } from './routes/policies/list-policies.js';
import { registerGetItemRoute } from './routes/resources/get-item.js';
import { registerGetResourceRoute } from './routes/resources/get-resource.js';
import { registerListResourcesRoute } from './routes/resources/list-resources.js';
import { registerCloneRoleRoute } from './routes/roles/clone-role.js';
import { registerCreateRoleRoute } from './routes/roles/create-role.js';
import { registerDeleteRoleRoute } from './routes/roles/delete-role.js';
import { registerGetRoleRoute } from './routes/roles/get-role.js';
import { registerSelfServiceRoutes } from './routes/self-service/self-service-routes.js';
import { registerSessionRoutes } from './routes/session/session-routes.js';
import { registerOidcRoutes } from './routes/auth/oidc-routes.js';
import { createOidcSignIn } from './domain/oidc.js';
import { createWebUi, registerWebUi } from './routes/web/web-ui.js';
import { registerPoliciesTypeaheadRoute } from './routes/typeahead/policies-typeahead.js';
import { registerResourcesTypeaheadRoute } from './routes/typeahead/resources-typeahead.js';

export interface BuildAppDeps {
  config: RolecallConfig;
  redis: Redis;
  nc: NatsConnection;
  /** When given, /readyz also requires DynamoDB, and the dynamic config is read from and saved to it. */
  dynamo?: DynamoDBClient;
  log: Logger;
  /**
   * Where identities of web routes come from, asked in order. Defaults to the trusted-proxy headers of
   * `config.auth`, then the JWT cookie.
   */
  identitySources?: readonly IdentitySource[];
  /** Overrides of the cost bounds (tests use small chunks to exercise chunk boundaries). */
  limits?: Partial<GatewayLimits>;
  /** The credential broker; defaults to services/broker over NATS. */
  broker?: Broker;
  /** Defaults to the DynamoDB store when `dynamo` is given, else a store that says it is unavailable. */
  dynamicConfig?: DynamicConfigStore;
  /** Who session credentials are, for the demo federation stand-in; defaults to STS at the AWS endpoint. */
  callerIdentity?: CallerIdentityLookup;
  /** Unix milliseconds; tests move it to expire challenges and JWTs. */
  now?: () => number;
  /**
   * The read routes' index; defaults to one started here on the cache's change events. A test passes
   * one it started itself, to wait until it is current.
   */
  catalog?: LiveResourceIndex;
  /** The built web UI (packages/web/dist); without it the page paths explain how to build it. */
  webRoot?: string;
}

/** Builds the HTTP API (without listening): plugins first, then every route. */
export async function buildApp(deps: BuildAppDeps): Promise<GatewayApp> {
  const { config, log } = deps;
  const now = deps.now ?? Date.now;
  // The config's cross-key rules (no demo federation stand-in in production, a shared JWT secret there) were
  // checked when it was parsed for the gateway; see CONFIG_RULES in @rolecall/shared/config.
  const jwtKeys = resolveJwtKeys(config);
  if (jwtKeys.generated) {
    log.warn('auth.jwt.secret is not set: using a random key, so JWTs from this gateway work on it alone');
  }
  // pino's Logger is what Fastify logs with; typed as Fastify's view of it so the instance type stays the default one.
  const loggerInstance: FastifyBaseLogger = log;
  const app = Fastify({
    loggerInstance,
    bodyLimit: config.gateway.bodyLimitBytes,
    // The identity comes from the TCP peer (see plugins/auth), never from X-Forwarded-For.
    trustProxy: false,
    // Route parameters are bounded by their schemas (an ARN is up to 2,048 characters, a user 320), not by
    // the router's default of 100, which would answer a long one 404.
    routerOptions: { ignoreTrailingSlash: true, maxParamLength: 2048 },
    http: { maxHeaderSize: PARSER_MAX_HEADER_SIZE },
    clientErrorHandler: answerClientError,
    // Unique across gateway copies: request ids go into the broker's audit trail (see plugins/request-id).
    genReqId: createRequestIdGenerator(config.gateway.trustedProxies),
    // The same key as every other service's lines about the request (see @rolecall/shared/log).
    logController: new LogController({ requestIdLogLabel: 'requestId' }),
  }).withTypeProvider<TypeBoxTypeProvider>();
  app.setValidatorCompiler(validatorCompiler);
  // Every body this API takes is JSON; anything else is answered 415 rather than parsed as text.
  app.removeContentTypeParser('text/plain');

  const trustedHeaders = createTrustedHeaderIdentitySource({
    userHeader: config.auth.userHeader,
    groupsHeader: config.auth.groupsHeader,
    lowercaseGroups: config.auth.lowercaseGroups,
    trustedProxies: config.gateway.trustedProxies,
    // Trusted headers on CLI routes are a choice: a proxy that passes client-sent headers through
    // would let anyone claim any user (see README, "Credentials and Weep").
    routeGroups: config.auth.cliAcceptsTrustedHeaders
      ? [...new Set([...config.auth.trustedHeaderRoutes, 'cli' as const])]
      : config.auth.trustedHeaderRoutes,
  });
  const jwtCookie = createJwtCookieIdentity({
    cookieName: config.auth.jwt.cookieName,
    keys: jwtKeys.keys,
    lowercaseGroups: config.auth.lowercaseGroups,
    now,
  });
  const webUi = createWebUi(deps.webRoot);
  registerRequestId(app, { trustedProxies: config.gateway.trustedProxies });
  registerErrorHandling(app, { log, notFoundPage: (reply) => webUi.sendIndex(reply, 404) });
  registerRequestLimits(app);
  registerHttpMetrics(app);
  documentCommonStatuses(app);
  await registerSecurityHeaders(app);
  // Before registerAuth: its onRequest hook reads request.cookies, which this plugin's hook fills.
  await app.register(fastifyCookie);
  registerAuth(app, {
    sources: deps.identitySources ?? [trustedHeaders, jwtCookie.source],
    // The trusted-header source itself refuses the route groups it is not configured for.
    cliSources: [jwtCookie.source, trustedHeaders],
    checkCookie: (request) => jwtCookie.check(request),
    adminGroups: config.auth.adminGroups,
    lowercaseGroups: config.auth.lowercaseGroups,
  });
  const isSecure = createSecureRequestCheck({
    publicUrl: config.gateway.publicUrl,
    trustedProxies: config.gateway.trustedProxies,
  });
  registerCsrfProtection(app, {
    secret: jwtKeys.keys.signing.secret,
    sessionCookieName: config.auth.jwt.cookieName,
    headerSources: [trustedHeaders.name],
    isSecure,
  });
  await registerOpenApi(app, { publicUrl: config.gateway.publicUrl });

  const readModel = createRedisReadModel({ redis: deps.redis, keyPrefix: config.redis.keyPrefix, log });
  const catalog =
    deps.catalog ??
    startLiveResourceIndex({
      nc: deps.nc,
      reader: readModel,
      log,
      redisReady: () => deps.redis.status === 'ready',
    });
  app.addHook('onClose', () => catalog.close());
  const routeDeps: RouteDeps = {
    config,
    log,
    readModel,
    catalog,
    crawlStarter: createNatsCrawlStarter({ nc: deps.nc }),
    probes: [
      createNatsProbe(deps.nc),
      createRedisProbe(deps.redis),
      ...(deps.dynamo ? [createDynamoProbe(deps.dynamo, tableNames(config.dynamodb.tablePrefix).roles)] : []),
    ],
    limits: { ...DEFAULT_LIMITS, ...deps.limits },
    broker: deps.broker ?? createNatsBroker({ nc: deps.nc }),
    requests: createNatsPolicyRequests({ nc: deps.nc }),
    challenges: createRedisChallengeStore({ redis: deps.redis, keyPrefix: config.redis.keyPrefix }),
    credentialRateLimiter: createRedisRateLimiter({
      redis: deps.redis,
      key: redisKeys(config.redis.keyPrefix).credentialRate,
      limit: config.gateway.rateLimit.credentialsPerMinute,
      windowMs: 60_000,
      now,
    }),
    challengeRateLimiter: createRedisRateLimiter({
      redis: deps.redis,
      key: redisKeys(config.redis.keyPrefix).challengeRate,
      limit: config.gateway.rateLimit.challengesPerMinute,
      windowMs: 60_000,
      now,
    }),
    signInRateLimiter: createRedisRateLimiter({
      redis: deps.redis,
      key: redisKeys(config.redis.keyPrefix).signInRate,
      limit: config.gateway.rateLimit.signInsPerMinute,
      windowMs: 60_000,
      now,
    }),
    dynamicConfig: deps.dynamicConfig ?? defaultDynamicConfigStore(deps),
    jwt: {
      keys: jwtKeys.keys,
      cookieName: config.auth.jwt.cookieName,
      expirationMinutes: config.auth.jwt.expirationMinutes,
    },
    isSecure,
    now,
  };
  registerHealthcheckRoute(app);
  registerReadyzRoute(app, routeDeps);
  registerListPoliciesRoute(app, routeDeps);
  registerCheckPolicyRoute(app);
  registerListResourcesRoute(app, routeDeps);
  registerGetRoleRoute(app, routeDeps);
  registerCreateRoleRoute(app, routeDeps);
  registerCloneRoleRoute(app, routeDeps);
  registerDeleteRoleRoute(app, routeDeps);
  registerGetResourceRoute(app, routeDeps);
  registerGetItemRoute(app, routeDeps);
  registerResourcesTypeaheadRoute(app, routeDeps);
  registerPoliciesTypeaheadRoute(app, routeDeps);
  registerRefreshCacheRoute(app, routeDeps);
  registerGetCacheStatusRoute(app, routeDeps);
  registerGetCredentialsRoute(app, routeDeps);
  registerGetRolesRoutes(app, routeDeps);
  registerEligibleRolesRoutes(app, routeDeps);
  registerGetResourceUrlRoute(app, routeDeps);
  registerRoleLoginRoute(app, routeDeps);
  registerChallengeRoutes(app, routeDeps);
  registerChallengePage(app, routeDeps, webUi);
  registerSessionRoutes(app, routeDeps);
  registerOidcRoutes(app, {
    ...routeDeps,
    oidc: config.auth.oidc
      ? createOidcSignIn({ config: config.auth.oidc, allowHttp: config.environment !== 'production', now })
      : undefined,
  });
  await registerWebUi(app, webUi, deps.webRoot);
  registerAuditRoutes(app, routeDeps);
  registerRequestRoutes(app, routeDeps);
  registerRequestStreamRoutes(app, { ...routeDeps, feed: createJetStreamRequestFeed({ nc: deps.nc, log }) });
  registerDynamicConfigRoutes(app, routeDeps);
  registerSelfServiceRoutes(app, { ...routeDeps, generator: createNatsSelfService({ nc: deps.nc }) });
  registerSimulateAccessRoute(app, createNatsAccessSimulator({ nc: deps.nc }));
  registerAccessDeniedRoute(app);
  if (config.demo.federationStandIn) {
    registerDemoFederationRoute(app, {
      ...routeDeps,
      callerIdentity:
        deps.callerIdentity ??
        createStsCallerIdentityLookup({ region: config.aws.region, endpointUrl: config.aws.endpointUrl }),
    });
  }
  return app;
}

function defaultDynamicConfigStore(deps: BuildAppDeps): DynamicConfigStore {
  if (deps.dynamo) {
    return createDynamicConfigStore({
      dynamo: deps.dynamo,
      tableName: tableNames(deps.config.dynamodb.tablePrefix).dynamicConfig,
      js: jetstream(deps.nc),
      source: 'gateway',
    });
  }
  const unavailable = () =>
    Promise.reject(
      new AppError('UPSTREAM_UNAVAILABLE', 'this gateway has no DynamoDB to keep the dynamic config in'),
    );
  return { load: unavailable, save: unavailable, history: unavailable };
}
