import type { X509Certificate } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import type { IdentityRequest } from './identity.js';
import {
  createMtlsIdentity,
  subjectAltNames,
  subjectValues,
  userOf,
  type MtlsIdentityOptions,
} from './mtls.js';

/** The two fields of Node's X509Certificate the user and groups are read from. */
const certificate = (subject: string, subjectAltName?: string) =>
  ({ subject, subjectAltName }) as unknown as X509Certificate;

const options = (over: Partial<MtlsIdentityOptions> = {}): MtlsIdentityOptions => ({
  routeGroups: ['cli'],
  userFrom: 'subjectCN',
  groupsFrom: 'none',
  lowercaseGroups: true,
  trustedProxies: ['127.0.0.1'],
  now: () => Date.parse('2026-12-03T12:00:00Z'),
  ...over,
});

const presenting = (
  cert: X509Certificate,
  over: Partial<IdentityRequest> = {},
  authorized = true,
): IdentityRequest => ({
  remoteAddress: '10.1.2.3',
  routeGroup: 'cli',
  headers: {},
  clientCertificate: {
    certificate: cert,
    authorized,
    ...(authorized ? {} : { authorizationError: 'CERT_HAS_EXPIRED' }),
  },
  ...over,
});

describe('reading the user from a certificate', () => {
  const cert = certificate(
    'CN=alice@example.com\nOU=Payments\nOU=engineering',
    'DNS:laptop.example.com, email:alice.smith@example.com, URI:spiffe://example.com/user/alice',
  );
  it.each([
    ['subjectCN', 'alice@example.com'],
    ['sanEmail', 'alice.smith@example.com'],
    ['sanUri', 'spiffe://example.com/user/alice'],
  ] as const)('%s gives %s', (field, user) => {
    expect(userOf(cert, field)).toBe(user);
  });

  it('finds no user where the configured field is absent, empty or holds a control character', () => {
    expect(userOf(certificate('OU=payments'), 'subjectCN')).toBeUndefined();
    expect(userOf(certificate('CN=alice', 'DNS:x.example.com'), 'sanEmail')).toBeUndefined();
    expect(userOf(certificate('CN=  '), 'subjectCN')).toBeUndefined();
    expect(userOf(certificate('CN="alice\\nadmin"'), 'subjectCN')).toBeUndefined();
    expect(userOf(certificate(`CN=${'a'.repeat(321)}`), 'subjectCN')).toBeUndefined();
  });

  it("reads Node's quoted values (special characters) back as the text they stand for", () => {
    expect(subjectValues('CN="Smith, Alice"\nOU=x', 'CN')).toEqual(['Smith, Alice']);
    expect(subjectAltNames('email:"a,b@example.com", URI:spiffe://x', 'email')).toEqual(['a,b@example.com']);
    expect(subjectAltNames('email:"a,b@example.com", URI:spiffe://x', 'URI')).toEqual(['spiffe://x']);
    expect(subjectAltNames(undefined, 'email')).toEqual([]);
  });
});

describe('the mTLS identity source', () => {
  const alice = certificate('CN=alice@example.com\nOU=Payments\nOU=engineering\nOU=payments');

  it('signs in the user a verified certificate names, with no groups unless configured', () => {
    expect(createMtlsIdentity(options()).check(presenting(alice))).toEqual({
      kind: 'valid',
      identity: { user: 'alice@example.com', groups: [], source: 'mtls' },
    });
  });

  it('takes the groups from the subject OU values when configured, lower-cased and without repeats', () => {
    const verdict = createMtlsIdentity(options({ groupsFrom: 'subjectOU' })).check(presenting(alice));
    expect(verdict).toMatchObject({ identity: { groups: ['payments', 'engineering'] } });
    const asIs = createMtlsIdentity(options({ groupsFrom: 'subjectOU', lowercaseGroups: false }));
    expect(asIs.check(presenting(alice))).toMatchObject({
      identity: { groups: ['Payments', 'engineering', 'payments'] },
    });
  });

  it('refuses a certificate the TLS stack did not verify, with its reason, and never yields its user', () => {
    const mtls = createMtlsIdentity(options());
    const request = presenting(alice, {}, false);
    expect(mtls.check(request)).toEqual({
      kind: 'invalid',
      reason:
        'the client certificate does not verify against gateway.tls.clientCaFile: it has expired (CERT_HAS_EXPIRED)',
    });
    expect(mtls.source.identify(request)).toBeUndefined();
  });

  it('refuses a verified certificate that names no user in the configured field', () => {
    const verdict = createMtlsIdentity(options({ userFrom: 'sanEmail' })).check(presenting(alice));
    expect(verdict).toEqual({ kind: 'invalid', reason: 'the certificate has no email SAN' });
  });

  it('ignores certificates on route groups it is not configured for, and on requests that matched no route', () => {
    const mtls = createMtlsIdentity(options());
    expect(mtls.check(presenting(alice, { routeGroup: 'ui' }))).toEqual({ kind: 'absent' });
    expect(mtls.check(presenting(alice, { routeGroup: undefined }))).toEqual({ kind: 'absent' });
    expect(mtls.check(presenting(certificate('CN=x'), { routeGroup: 'api' }, false))).toEqual({
      kind: 'absent',
    });
  });

  it('believes the proxy header only from a trusted proxy, and refuses one that is no certificate', () => {
    const mtls = createMtlsIdentity(options({ proxyHeader: 'X-SSL-Client-Cert' }));
    const forwarded = (remoteAddress: string, value: string): IdentityRequest => ({
      remoteAddress,
      routeGroup: 'cli',
      headers: { 'x-ssl-client-cert': value },
    });
    expect(mtls.check(forwarded('10.9.9.9', 'garbage'))).toEqual({ kind: 'absent' });
    expect(mtls.check(forwarded('127.0.0.1', 'garbage'))).toEqual({
      kind: 'invalid',
      reason: 'the X-SSL-Client-Cert header is not a URL-encoded PEM certificate',
    });
    expect(mtls.check(forwarded('127.0.0.1', 'x'.repeat(20_000)))).toMatchObject({ kind: 'invalid' });
    expect(mtls.check(forwarded('127.0.0.1', ''))).toEqual({ kind: 'absent' });
  });

  it('without a proxy header configured, a request without a certificate is not its to vouch for', () => {
    const mtls = createMtlsIdentity(options());
    const request: IdentityRequest = {
      remoteAddress: '127.0.0.1',
      routeGroup: 'cli',
      headers: { 'x-ssl-client-cert': 'anything' },
    };
    expect(mtls.check(request)).toEqual({ kind: 'absent' });
  });
});
