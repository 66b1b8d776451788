import type { Identity, IdentityRequest, IdentitySource } from './identity.js';
import { verifyJwt, type JwtKeySet } from './jwt.js';

/** What the JWT cookie of a request says: nothing, a valid identity, or a cookie that must be refused. */
export type CookieCheck =
  { kind: 'absent' } | { kind: 'valid'; identity: Identity } | { kind: 'invalid'; reason: string };

export interface JwtCookieIdentityOptions {
  cookieName: string;
  keys: JwtKeySet;
  lowercaseGroups: boolean;
  /** Unix milliseconds; injectable so expiry can be tested. */
  now: () => number;
}

export interface JwtCookieIdentity {
  /** The identity source for stacking: a cookie that does not verify is "not mine", never an error. */
  source: IdentitySource;
  /** The full verdict, for CLI routes, which must refuse a bad cookie with `invalid_jwt`. */
  check(request: IdentityRequest): Promise<CookieCheck>;
}

/** Identity from the JWT cookie the Weep challenge login issues (and, later, any other sign-in). */
export function createJwtCookieIdentity(options: JwtCookieIdentityOptions): JwtCookieIdentity {
  const check = async (request: IdentityRequest): Promise<CookieCheck> => {
    const token = request.cookies?.[options.cookieName];
    if (token === undefined || token === '') return { kind: 'absent' };
    const verdict = await verifyJwt(token, options.keys, Math.floor(options.now() / 1000));
    if (!verdict.ok) return { kind: 'invalid', reason: verdict.reason };
    const groups = verdict.claims.groups.map((g) => (options.lowercaseGroups ? g.toLowerCase() : g));
    return {
      kind: 'valid',
      identity: { user: verdict.claims.email, groups: [...new Set(groups)], source: 'jwt-cookie' },
    };
  };
  return {
    check,
    source: {
      name: 'jwt-cookie',
      async identify(request) {
        const result = await check(request);
        return result.kind === 'valid' ? result.identity : undefined;
      },
    },
  };
}
