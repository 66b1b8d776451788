import { BlockList, isIP } from 'node:net';

/** Who is calling. Groups are as the identity source gave them (lower-cased when configured). */
export interface Identity {
  user: string;
  groups: string[];
  /** Which source vouched for this identity (`trusted-header` now; a JWT cookie later). */
  source: string;
}

/**
 * Which kind of route a request is for, so a proxy may vouch for people on some and not others: `ui` the
 * pages, `api` the JSON API (`/api/…`, `/noauth/…`; the UI's own data calls too), `cli` Weep's routes
 * (`config.access: 'cli'`).
 */
export type RouteGroup = 'ui' | 'api' | 'cli';

/** The group of a route from its `config.access` and its path pattern (`/api/v2/roles/:account/:name`). */
export function routeGroupOf(access: string, path: string): RouteGroup {
  if (access === 'cli') return 'cli';
  return /^\/(api|noauth)(\/|$)/.test(path) ? 'api' : 'ui';
}

/** The parts of an HTTP request an identity source may look at. */
export interface IdentityRequest {
  /** The TCP peer, not anything a client can claim in a header. */
  remoteAddress: string | undefined;
  /** The route's group; absent where the request matched no route. */
  routeGroup?: RouteGroup;
  headers: Record<string, string | string[] | undefined>;
  /** The request's cookies, as @fastify/cookie parsed the Cookie header; absent where no source needs them. */
  cookies?: Readonly<Record<string, string | undefined>>;
}

/**
 * A way to learn who is calling. The gateway asks each source in turn and takes the first identity;
 * `undefined` means "not mine to vouch for", never an error, so sources can be stacked.
 */
export interface IdentitySource {
  readonly name: string;
  identify(request: IdentityRequest): Identity | undefined | Promise<Identity | undefined>;
}

/** `::ffff:127.0.0.1` (an IPv4 peer on a dual-stack socket) is the same peer as `127.0.0.1`. */
export function normaliseAddress(address: string): string {
  const mapped = /^::ffff:(\d{1,3}(?:\.\d{1,3}){3})$/i.exec(address);
  return (mapped?.[1] ?? address).toLowerCase();
}

/** Matches peers against addresses and CIDR ranges (`10.0.0.0/8`, `fd00::/8`). */
export function createAddressMatcher(entries: readonly string[]): (address: string | undefined) => boolean {
  const list = new BlockList();
  for (const entry of entries) {
    const [address = '', prefix] = normaliseAddress(entry.trim()).split('/');
    const family = isIP(address);
    if (family === 0) continue;
    const type = family === 6 ? 'ipv6' : 'ipv4';
    if (prefix === undefined) list.addAddress(address, type);
    else list.addSubnet(address, Number(prefix), type);
  }
  return (raw) => {
    if (!raw) return false;
    const address = normaliseAddress(raw);
    const family = isIP(address);
    if (family === 0) return false;
    return list.check(address, family === 6 ? 'ipv6' : 'ipv4');
  };
}

export interface TrustedHeaderIdentityOptions {
  userHeader: string;
  groupsHeader: string;
  lowercaseGroups: boolean;
  trustedProxies: readonly string[];
  /** The route groups the headers are believed on; on any other, and on no route, they are ignored. */
  routeGroups: readonly RouteGroup[];
}

const MAX_USER_LENGTH = 320;

/**
 * Believes the oauth2-proxy style headers only when the TCP peer is a configured proxy and the route is in
 * a configured group: anyone else could send the same headers, and a proxy that guards the UI may pass
 * client-sent headers through on the CLI's routes, so there the headers are ignored (no identity, not an
 * error).
 */
export function createTrustedHeaderIdentitySource(options: TrustedHeaderIdentityOptions): IdentitySource {
  const isTrusted = createAddressMatcher(options.trustedProxies);
  const userHeader = options.userHeader.toLowerCase();
  const groupsHeader = options.groupsHeader.toLowerCase();
  const groups = new Set(options.routeGroups);
  return {
    name: 'trusted-header',
    identify(request) {
      if (request.routeGroup === undefined || !groups.has(request.routeGroup)) return undefined;
      if (!isTrusted(request.remoteAddress)) return undefined;
      const user = firstValue(request.headers[userHeader])?.trim();
      if (!user || user.length > MAX_USER_LENGTH) return undefined;
      return {
        user,
        groups: parseGroups(request.headers[groupsHeader], options.lowercaseGroups),
        source: 'trusted-header',
      };
    },
  };
}

export function parseGroups(value: string | string[] | undefined, lowercase: boolean): string[] {
  const values = value === undefined ? [] : Array.isArray(value) ? value : [value];
  const groups = values
    .flatMap((v) => v.split(','))
    .map((g) => g.trim())
    .filter((g) => g.length > 0)
    .map((g) => (lowercase ? g.toLowerCase() : g));
  return [...new Set(groups)];
}

export function isAdmin(identity: Identity, adminGroups: readonly string[], lowercase: boolean): boolean {
  const admins = new Set(adminGroups.map((g) => (lowercase ? g.toLowerCase() : g)));
  return identity.groups.some((g) => admins.has(g));
}

function firstValue(value: string | string[] | undefined): string | undefined {
  return Array.isArray(value) ? value[0] : value;
}
