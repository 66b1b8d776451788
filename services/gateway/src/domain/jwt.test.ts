import { decodeJwt, decodeProtectedHeader, SignJWT } from 'jose';
import { describe, expect, it } from 'vitest';
import {
  CLOCK_TOLERANCE_SECONDS,
  createJwtKeySet,
  jwtKeyId,
  signJwt,
  verifyJwt as verifyWithKeys,
  type JwtKeySet,
} from './jwt.js';

const SECRET = 'unit-secret-unit-secret-unit-secret';
const OTHER_SECRET = 'another-secret-another-secret-xx';
/** The one-key set of a bare `auth.jwt.secret`, as most of these tests use. */
const single = (secret: string) => createJwtKeySet({ secret });
const sign = (c: typeof claims, secret: string) => signJwt(c, single(secret));
const verifyJwt = (token: string, secret: string, now: number) => verifyWithKeys(token, single(secret), now);
const claims = { email: 'alice@example.com', groups: ['engineering'], iat: 1_000, exp: 2_000 };
/** Signed by the hand-written signer gateways used before jose, with SECRET and `claims`. */
const LEGACY_TOKEN =
  'eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.' +
  'eyJlbWFpbCI6ImFsaWNlQGV4YW1wbGUuY29tIiwiZ3JvdXBzIjpbImVuZ2luZWVyaW5nIl0sImlhdCI6MTAwMCwiZXhwIjoyMDAwfQ.' +
  '_SrBdDEOpLxLvWElpbD7hDjm9XsBb-rrx0dkO8I8wPE';

const segment = (value: object) => Buffer.from(JSON.stringify(value)).toString('base64url');
/** A token with any header and payload, signed with `secret` (or any key) as `alg` says. */
const craft = (header: { alg: string; kid?: string; typ?: string }, payload: object, secret = SECRET) =>
  new SignJWT({ ...payload }).setProtectedHeader(header).sign(new TextEncoder().encode(secret));

describe('HS256 JWT', () => {
  it('verifies what it signed until the expiry, and not at or after it (no tolerance on expiry)', async () => {
    const token = await sign(claims, SECRET);
    expect(await verifyJwt(token, SECRET, 1_999)).toEqual({ ok: true, claims });
    for (const now of [2_000, 2_000 + CLOCK_TOLERANCE_SECONDS - 1, 2_000 + CLOCK_TOLERANCE_SECONDS, 9_999]) {
      expect({ now, verdict: await verifyJwt(token, SECRET, now) }).toEqual({
        now,
        verdict: { ok: false, reason: 'JWT has expired' },
      });
    }
  });

  it('signs with kid, typ, iat, nbf = iat and exp, and the claims Weep and ConsoleMe read', async () => {
    const token = await sign(claims, SECRET);
    expect(decodeProtectedHeader(token)).toEqual({ alg: 'HS256', typ: 'JWT', kid: jwtKeyId(SECRET) });
    expect(decodeJwt(token)).toEqual({ ...claims, nbf: claims.iat });
    expect(jwtKeyId(SECRET)).not.toBe(jwtKeyId(OTHER_SECRET));
    expect(jwtKeyId(SECRET)).not.toContain(SECRET.slice(0, 8));
  });

  it('accepts a token up to the clock tolerance before its nbf, and not earlier', async () => {
    const token = await sign(claims, SECRET);
    expect(await verifyJwt(token, SECRET, claims.iat - CLOCK_TOLERANCE_SECONDS)).toEqual({
      ok: true,
      claims,
    });
    expect(await verifyJwt(token, SECRET, claims.iat - CLOCK_TOLERANCE_SECONDS - 1)).toEqual({
      ok: false,
      reason: 'JWT is not valid yet',
    });
  });

  it('still verifies a token a gateway signed before jose (no kid, no nbf), with the same secret', async () => {
    expect(await verifyJwt(LEGACY_TOKEN, SECRET, 1_500)).toEqual({ ok: true, claims });
    expect(await verifyJwt(LEGACY_TOKEN, SECRET, 2_000)).toEqual({ ok: false, reason: 'JWT has expired' });
    expect((await verifyJwt(LEGACY_TOKEN, OTHER_SECRET, 1_500)).ok).toBe(false);
  });

  it('refuses another key, a changed payload, alg none or any other alg, a foreign kid and garbage', async () => {
    const token = await sign(claims, SECRET);
    const [header, , signature] = token.split('.');
    const payload = segment({ ...claims, groups: ['admins'] });
    const unsupported = 'unsupported JWT algorithm (only HS256 is accepted)';
    const cases: [label: string, candidate: string, reason: string][] = [
      ['other key', await sign(claims, OTHER_SECRET), 'JWT was signed with another key (kid)'],
      [
        'other key, our kid',
        await craft({ alg: 'HS256', typ: 'JWT', kid: jwtKeyId(SECRET) }, claims, OTHER_SECRET),
        'JWT signature does not verify',
      ],
      [
        'other key, no kid',
        await craft({ alg: 'HS256', typ: 'JWT' }, claims, OTHER_SECRET),
        'JWT signature does not verify',
      ],
      [
        'foreign kid, our signature',
        await craft({ alg: 'HS256', typ: 'JWT', kid: 'rotated-out' }, claims),
        'JWT was signed with another key (kid)',
      ],
      ['changed payload', `${header}.${payload}.${signature}`, 'JWT signature does not verify'],
      ['alg none', `${segment({ alg: 'none', typ: 'JWT' })}.${payload}.`, unsupported],
      ['alg none, no typ', `${segment({ alg: 'none' })}.${payload}.`, unsupported],
      ['HS512 with our key', await craft({ alg: 'HS512', typ: 'JWT' }, claims), unsupported],
      ['RS256 header', `${segment({ alg: 'RS256', typ: 'JWT' })}.${payload}.${signature}`, unsupported],
      ['garbage', 'abc', 'not a compact JWT'],
      ['empty segments', '..', 'not a compact JWT'],
      ['header not JSON', `not-json.${payload}.${signature}`, 'not a compact JWT'],
    ];
    for (const [label, candidate, reason] of cases) {
      expect({ label, verdict: await verifyJwt(candidate, SECRET, 1_500) }).toEqual({
        label,
        verdict: { ok: false, reason },
      });
    }
  });

  it('refuses a correctly signed token whose claims are not what Rolecall issues', async () => {
    const hs256 = { alg: 'HS256', typ: 'JWT' };
    const cases: [label: string, payload: object][] = [
      ['no email', { groups: [], iat: 1_000, exp: 2_000 }],
      ['empty email', { ...claims, email: '' }],
      ['groups not a list', { ...claims, groups: 'admins' }],
      ['a group not a string', { ...claims, groups: ['ok', 7] }],
      ['no exp', { email: claims.email, groups: claims.groups, iat: 1_000 }],
      ['no iat', { email: claims.email, groups: claims.groups, exp: 2_000 }],
      ['exp not a number', { ...claims, exp: '2000' }],
    ];
    for (const [label, payload] of cases) {
      const verdict = await verifyJwt(await craft(hs256, payload), SECRET, 1_500);
      expect({ label, verdict }).toEqual({
        label,
        verdict: { ok: false, reason: 'JWT claims are malformed' },
      });
    }
    const otherType = await craft({ alg: 'HS256', typ: 'at+jwt' }, claims);
    expect((await verifyJwt(otherType, SECRET, 1_500)).ok).toBe(false);
  });
});

describe('rotating JWT keys', () => {
  const oldKey = { id: '2026-01', secret: SECRET };
  const newKey = { id: '2026-02', secret: OTHER_SECRET };
  const before: JwtKeySet = createJwtKeySet({ keys: [oldKey] });
  const during: JwtKeySet = createJwtKeySet({ keys: [newKey, oldKey] });
  const after: JwtKeySet = createJwtKeySet({ keys: [newKey] });

  it('signs with the newest key and names it in kid', async () => {
    const token = await signJwt(claims, during);
    expect(decodeProtectedHeader(token)).toEqual({ alg: 'HS256', typ: 'JWT', kid: '2026-02' });
    expect(await verifyWithKeys(token, after, 1_500)).toEqual({ ok: true, claims });
  });

  it('keeps verifying what the previous key signed while both are configured, so nobody is signed out', async () => {
    const issuedBefore = await signJwt(claims, before);
    expect(await verifyWithKeys(issuedBefore, during, 1_500)).toEqual({ ok: true, claims });
  });

  it('refuses a token of a removed key, an unknown kid, and a known kid over another key', async () => {
    const issuedBefore = await signJwt(claims, before);
    const cases: [label: string, token: string, reason: string][] = [
      ['removed key', issuedBefore, 'JWT was signed with another key (kid)'],
      [
        'unknown kid',
        await craft({ alg: 'HS256', typ: 'JWT', kid: '2025-12' }, claims, OTHER_SECRET),
        'JWT was signed with another key (kid)',
      ],
      [
        'new kid, old key',
        await craft({ alg: 'HS256', typ: 'JWT', kid: '2026-02' }, claims, SECRET),
        'JWT signature does not verify',
      ],
      // Without auth.jwt.secret there is no key for tokens without kid.
      [
        'no kid',
        await craft({ alg: 'HS256', typ: 'JWT' }, claims, OTHER_SECRET),
        'JWT was signed with another key (kid)',
      ],
    ];
    for (const [label, token, reason] of cases) {
      expect({ label, verdict: await verifyWithKeys(token, after, 1_500) }).toEqual({
        label,
        verdict: { ok: false, reason },
      });
    }
  });

  it('lets keys take over from auth.jwt.secret: the new key signs, the secret still verifies its tokens', async () => {
    const fromSecret = createJwtKeySet({ keys: [newKey], secret: SECRET });
    expect(decodeProtectedHeader(await signJwt(claims, fromSecret)).kid).toBe('2026-02');
    expect(await verifyWithKeys(await sign(claims, SECRET), fromSecret, 1_500)).toEqual({ ok: true, claims });
    expect(await verifyWithKeys(LEGACY_TOKEN, fromSecret, 1_500)).toEqual({ ok: true, claims });
    expect(() => createJwtKeySet({})).toThrow(/at least one key/);
  });
});
