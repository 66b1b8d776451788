import type { RolecallConfig } from '@rolecall/shared/config';
import { AppError } from '@rolecall/shared/errors';
import { compactVerify, decodeProtectedHeader, errors, importSPKI, type CryptoKey } from 'jose';
import { createAddressMatcher, type IdentitySource, type RouteGroup } from './identity.js';
import { claimAt, groupsFromClaim } from './oidc-claims.js';

export type AlbConfig = NonNullable<RolecallConfig['auth']['alb']>;

export interface AlbIdentityOptions {
  config: AlbConfig;
  lowercaseGroups: boolean;
  /** The load balancers' addresses (`gateway.trustedProxies`): the header from anyone else is ignored. */
  trustedProxies: readonly string[];
  /** Unix milliseconds. */
  now: () => number;
}

/** The header an ALB with an authenticate-oidc (or authenticate-cognito) action adds to each request. */
export const ALB_HEADER = 'x-amzn-oidc-data';
/** ALB key ids are UUIDs; anything else must not reach a URL. */
const KEY_ID = /^[A-Za-z0-9-]{1,128}$/;
/** A real header is a few kilobytes at most (the ALB caps it at 16K); longer is not an ALB's. */
const MAX_HEADER_LENGTH = 16_384;
const MAX_USER_LENGTH = 320;

/**
 * Identity from an AWS Application Load Balancer that authenticated the user (`X-Amzn-Oidc-Data`): an
 * ES256 JWT whose public key the ALB's regional endpoint serves by `kid`. Believed only when the TCP peer
 * is a trusted proxy, the route is in a configured group, the signature verifies with that key, the
 * token header's `signer` is a configured load balancer and the token has not expired; anything else is
 * "not mine" (no identity), never an error. A key endpoint that cannot be reached is a 503
 * (`ALB_KEYS_UNAVAILABLE`): refusing everyone there would look like a sign-in problem, not an outage.
 */
export function createAlbIdentitySource(options: AlbIdentityOptions): IdentitySource {
  const { config } = options;
  const base = (
    config.publicKeysUrl ?? `https://public-keys.auth.elb.${config.region}.amazonaws.com`
  ).replace(/\/+$/, '');
  const signers = new Set(config.signerArns);
  const groups = new Set<RouteGroup>(config.routeGroups);
  const isTrusted = createAddressMatcher(options.trustedProxies);
  const keys = createKeyCache(base, config.keyTimeoutMs);

  return {
    name: 'alb',
    async identify(request) {
      if (request.routeGroup === undefined || !groups.has(request.routeGroup)) return undefined;
      if (!isTrusted(request.remoteAddress)) return undefined;
      const token = request.headers[ALB_HEADER];
      if (typeof token !== 'string' || token.length === 0 || token.length > MAX_HEADER_LENGTH) {
        return undefined;
      }
      // The ALB pads its base64url segments with '=', which JWS forbids, and signs the segments as sent
      // (padding included): so the token is verified exactly as received. Stripping the padding first
      // would change the signing input and fail every real ALB token. jose's decoder accepts the padding.
      let header: ReturnType<typeof decodeProtectedHeader>;
      try {
        header = decodeProtectedHeader(token);
      } catch {
        return undefined;
      }
      if (header.alg !== 'ES256' || typeof header.kid !== 'string' || !KEY_ID.test(header.kid)) {
        return undefined;
      }
      if (typeof header.signer !== 'string' || !signers.has(header.signer)) return undefined;
      const key = await keys.get(header.kid);
      if (!key) return undefined;
      let claims: Record<string, unknown>;
      try {
        const { payload } = await compactVerify(token, key, { algorithms: ['ES256'] });
        const parsed: unknown = JSON.parse(new TextDecoder().decode(payload));
        if (parsed === null || typeof parsed !== 'object' || Array.isArray(parsed)) return undefined;
        claims = parsed as Record<string, unknown>;
      } catch (error) {
        if (error instanceof errors.JOSEError || error instanceof SyntaxError) return undefined;
        throw error;
      }
      // The ALB puts `exp` in the token header (and may in the claims); every one present must lie ahead.
      const nowSeconds = options.now() / 1000;
      const expiries = [header.exp, claims.exp].filter((exp) => exp !== undefined);
      if (expiries.length === 0 || expiries.some((exp) => typeof exp !== 'number' || exp <= nowSeconds)) {
        return undefined;
      }
      const user = claimAt(claims, config.userClaim);
      if (typeof user !== 'string' || user.trim().length === 0 || user.length > MAX_USER_LENGTH) {
        return undefined;
      }
      const found = groupsFromClaim(claimAt(claims, config.groupsClaim));
      return {
        user: user.trim(),
        groups: [...new Set(found.map((g) => (options.lowercaseGroups ? g.toLowerCase() : g)))],
        source: 'alb',
      };
    },
  };
}

/**
 * The ALB's public keys by `kid`. A key never changes under its kid, so each is fetched once and kept; a
 * kid the endpoint does not know (403/404, or not a P-256 key) is kept as absent too, so a flood of
 * forged tokens naming it costs one fetch. A fetch that fails (no answer, a 5xx) is forgotten, so the
 * next request tries again. The number of kept kids is bounded: forged kids could otherwise grow it.
 */
function createKeyCache(
  base: string,
  timeoutMs: number,
): { get(kid: string): Promise<CryptoKey | undefined> } {
  const MAX_KEYS = 1_000;
  const keys = new Map<string, Promise<CryptoKey | undefined>>();
  const fetchKey = async (kid: string): Promise<CryptoKey | undefined> => {
    let response: Response;
    try {
      response = await fetch(`${base}/${kid}`, { signal: AbortSignal.timeout(timeoutMs) });
    } catch (error) {
      throw new AppError(
        'ALB_KEYS_UNAVAILABLE',
        `the ALB public key endpoint ${base} did not answer within ${timeoutMs} ms; ` +
          'check the gateway can reach it (auth.alb.region, auth.alb.publicKeysUrl)',
        { cause: error },
      );
    }
    if (response.status === 403 || response.status === 404) return undefined;
    if (!response.ok) {
      throw new AppError(
        'ALB_KEYS_UNAVAILABLE',
        `the ALB public key endpoint ${base} answered ${response.status}; try again shortly`,
      );
    }
    try {
      return await importSPKI((await response.text()).trim(), 'ES256');
    } catch {
      return undefined;
    }
  };
  return {
    get(kid) {
      let key = keys.get(kid);
      if (!key) {
        if (keys.size >= MAX_KEYS) keys.delete(keys.keys().next().value as string);
        key = fetchKey(kid);
        keys.set(kid, key);
        key.catch(() => keys.delete(kid));
      }
      return key;
    },
  };
}
