import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import type { RolecallConfig } from '@rolecall/shared/config';
import type { Logger } from '@rolecall/shared/log';
import type {
  FastifyBaseLogger,
  FastifyInstance,
  FastifyRequest,
  RawReplyDefaultExpression,
  RawRequestDefaultExpression,
  RawServerDefault,
} from 'fastify';
import type { DynamicConfigStore } from '@rolecall/shared/dynamic-config';
import type {
  Broker,
  ChallengeStore,
  CrawlStarter,
  PolicyRequests,
  RateLimiter,
  ReadinessProbe,
} from '../domain/ports.js';
import type { JwtKeySet } from '../domain/jwt.js';
import type { Catalog, ReadModel } from '../domain/read-model.js';

/** The Fastify instance routes are registered on: TypeBox schemas give handlers their types. */
export type GatewayApp = FastifyInstance<
  RawServerDefault,
  RawRequestDefaultExpression,
  RawReplyDefaultExpression,
  FastifyBaseLogger,
  TypeBoxTypeProvider
>;

/** What route handlers may use; nothing else reaches them. */
export interface RouteDeps {
  config: RolecallConfig;
  readModel: ReadModel;
  /** The in-memory index of the read model's summaries, with the accounts' names. */
  catalog: Catalog;
  crawlStarter: CrawlStarter;
  probes: readonly ReadinessProbe[];
  log: Logger;
  limits: GatewayLimits;
  broker: Broker;
  /** The policy-request workflow (services/requests). */
  requests: PolicyRequests;
  challenges: ChallengeStore;
  /** Per signed-in user: get_credentials and role_login. */
  credentialRateLimiter: RateLimiter;
  /** Per source address: the unauthenticated challenge_generator. */
  challengeRateLimiter: RateLimiter;
  /** Per source address: sign-ins (the demo's) and Weep challenge approvals. */
  signInRateLimiter: RateLimiter;
  dynamicConfig: DynamicConfigStore;
  /** Signs the JWTs the challenge login issues (the keys every gateway copy shares; the newest signs). */
  jwt: { keys: JwtKeySet; cookieName: string; expirationMinutes: number };
  /** Whether the browser came over https (public URL, TLS here, or a trusted proxy's X-Forwarded-Proto): cookies are then Secure. */
  isSecure: (request: FastifyRequest) => boolean;
  /** Unix milliseconds; injectable so expiry can be tested without waiting. */
  now: () => number;
}

/** Cost bounds for reads over the whole inventory. */
export interface GatewayLimits {
  /** ARNs read from Redis per round trip. */
  chunkSize: number;
  /** Index entries one resource-list page may look at before answering with a cursor. */
  pageScanLimit: number;
  /** Index entries one typeahead call may look at. */
  typeaheadScanLimit: number;
  /**
   * Time a table scan (`POST /api/v2/policies`) may take, from its start, before it is refused
   * with VALIDATION_FAILED. Checked on every row; the scan yields to other requests meanwhile.
   */
  filterBudgetMs: number;
  /** Time each readiness probe gets. */
  readinessTimeoutMs: number;
}

export const DEFAULT_LIMITS: GatewayLimits = {
  chunkSize: 500,
  pageScanLimit: 20_000,
  typeaheadScanLimit: 100_000,
  filterBudgetMs: 3_000,
  readinessTimeoutMs: 2_000,
};
