import { describe, expect, it } from 'vitest';
import { signJwt, verifyJwt } from './jwt.js';

const SECRET = 'unit-secret-unit-secret-unit-secret';
const claims = { email: 'alice@example.com', groups: ['engineering'], iat: 1_000, exp: 2_000 };

describe('HS256 JWT', () => {
  it('verifies what it signed until the expiry, and not at or after it', () => {
    const token = signJwt(claims, SECRET);
    expect(verifyJwt(token, SECRET, 1_999)).toEqual({ ok: true, claims });
    expect(verifyJwt(token, SECRET, 2_000)).toMatchObject({ ok: false, reason: 'JWT has expired' });
  });

  it('refuses another key, a changed payload, alg none and garbage', () => {
    const token = signJwt(claims, SECRET);
    const [header, , signature] = token.split('.');
    const payload = Buffer.from(JSON.stringify({ ...claims, groups: ['admins'] })).toString('base64url');
    const none = Buffer.from(JSON.stringify({ alg: 'none', typ: 'JWT' })).toString('base64url');
    for (const [label, candidate, key] of [
      ['other key', token, 'another-secret-another-secret-xx'],
      ['changed payload', `${header}.${payload}.${signature}`, SECRET],
      ['alg none', `${none}.${payload}.`, SECRET],
      ['garbage', 'abc', SECRET],
    ] as const) {
      expect({ label, ok: verifyJwt(candidate, key, 1_500).ok }).toEqual({ label, ok: false });
    }
  });
});
