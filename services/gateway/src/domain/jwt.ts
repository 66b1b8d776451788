import { createHmac, timingSafeEqual } from 'node:crypto';

/** What Rolecall puts in the JWTs it issues (ConsoleMe's claim names, so its cookies read the same). */
export interface JwtClaims {
  email: string;
  groups: string[];
  /** Unix seconds. */
  iat: number;
  /** Unix seconds. */
  exp: number;
}

export type JwtVerification = { ok: true; claims: JwtClaims } | { ok: false; reason: string };

const HEADER = base64url(JSON.stringify({ alg: 'HS256', typ: 'JWT' }));

/** Signs claims as a compact HS256 JWT. */
export function signJwt(claims: JwtClaims, secret: string): string {
  const payload = base64url(JSON.stringify(claims));
  return `${HEADER}.${payload}.${sign(`${HEADER}.${payload}`, secret)}`;
}

/**
 * Verifies a compact JWT: HS256 only (a token announcing `none` or any other algorithm is refused, never
 * trusted), the signature compared in constant time, then expiry and claim types.
 */
export function verifyJwt(token: string, secret: string, nowSeconds: number): JwtVerification {
  const parts = token.split('.');
  if (parts.length !== 3) return { ok: false, reason: 'not a compact JWT' };
  const [header = '', payload = '', signature = ''] = parts;
  const headerJson = parseSegment(header);
  if (!isRecord(headerJson) || headerJson.alg !== 'HS256') {
    return { ok: false, reason: 'unsupported JWT algorithm (only HS256 is accepted)' };
  }
  const expected = Buffer.from(sign(`${header}.${payload}`, secret));
  const given = Buffer.from(signature);
  if (given.length !== expected.length || !timingSafeEqual(given, expected)) {
    return { ok: false, reason: 'JWT signature does not verify' };
  }
  const claims = parseSegment(payload);
  if (
    !isRecord(claims) ||
    typeof claims.email !== 'string' ||
    claims.email.length === 0 ||
    !Array.isArray(claims.groups) ||
    !claims.groups.every((g) => typeof g === 'string') ||
    typeof claims.exp !== 'number' ||
    typeof claims.iat !== 'number'
  ) {
    return { ok: false, reason: 'JWT claims are malformed' };
  }
  if (claims.exp <= nowSeconds) return { ok: false, reason: 'JWT has expired' };
  return {
    ok: true,
    claims: { email: claims.email, groups: claims.groups, iat: claims.iat, exp: claims.exp },
  };
}

function sign(input: string, secret: string): string {
  return createHmac('sha256', secret).update(input).digest('base64url');
}

function base64url(text: string): string {
  return Buffer.from(text, 'utf8').toString('base64url');
}

function parseSegment(segment: string): unknown {
  try {
    return JSON.parse(Buffer.from(segment, 'base64url').toString('utf8')) as unknown;
  } catch {
    return undefined;
  }
}

const isRecord = (value: unknown): value is Record<string, unknown> =>
  typeof value === 'object' && value !== null && !Array.isArray(value);
