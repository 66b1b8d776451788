import { X509Certificate } from 'node:crypto';
import {
  createAddressMatcher,
  type Identity,
  type IdentityRequest,
  type IdentitySource,
  type RouteGroup,
} from './identity.js';

/** Which part of a client certificate names the user (`auth.mtls.userFrom`). */
export type CertificateUserField = 'subjectCN' | 'sanEmail' | 'sanUri';

/** Where an mTLS user's groups come from (`auth.mtls.groupsFrom`). */
export type CertificateGroupsField = 'none' | 'subjectOU';

/** What a request's client certificate says: nothing, a user, or a certificate that must be refused. */
export type CertificateCheck =
  { kind: 'absent' } | { kind: 'valid'; identity: Identity } | { kind: 'invalid'; reason: string };

export interface MtlsIdentityOptions {
  /** The route groups on which a certificate signs someone in; elsewhere it is ignored. */
  routeGroups: readonly RouteGroup[];
  userFrom: CertificateUserField;
  groupsFrom: CertificateGroupsField;
  lowercaseGroups: boolean;
  /**
   * The header a TLS-terminating proxy passes the verified certificate in (URL-encoded PEM, nginx's
   * `$ssl_client_escaped_cert`); believed only from `trustedProxies`.
   */
  proxyHeader?: string;
  trustedProxies: readonly string[];
  /** PEM CA certificates one of which must have issued a header certificate; absent: the proxy checked. */
  proxyCaPem?: string;
  /** Unix milliseconds: a header certificate is checked for its validity dates (the TLS stack does it for ours). */
  now: () => number;
}

export interface MtlsIdentity {
  /** The identity source for stacking: a refused certificate is "not mine" here, never an error. */
  source: IdentitySource;
  /** The full verdict, so the auth hook can refuse a presented but bad certificate with its reason. */
  check(request: IdentityRequest): CertificateCheck;
}

const MAX_USER_LENGTH = 320;
/** nginx's escaped PEM of a 4096-bit chain is a few KB; anything far larger is not a certificate. */
const MAX_HEADER_LENGTH = 16_384;

/**
 * Identity from a client certificate: the one this gateway's TLS server verified against
 * `gateway.tls.clientCaFile`, or one a trusted proxy verified and forwarded in a header.
 *
 * The TLS server asks for a certificate without requiring it (`rejectUnauthorized: false`), so pages and
 * health checks work without one; that is why only a peer the TLS stack marked `authorized` (its chain ends
 * at the configured CA and every certificate in it is within its dates) is believed here. Everything else
 * that presented a certificate is refused with the TLS stack's reason, never silently treated as anonymous.
 */
export function createMtlsIdentity(options: MtlsIdentityOptions): MtlsIdentity {
  const groups = new Set(options.routeGroups);
  const isTrustedProxy = createAddressMatcher(options.trustedProxies);
  const proxyHeader = options.proxyHeader?.toLowerCase();
  const proxyCas = options.proxyCaPem ? parsePemBundle(options.proxyCaPem) : [];

  const identityOf = (certificate: X509Certificate): CertificateCheck => {
    const user = userOf(certificate, options.userFrom);
    if (!user) {
      return { kind: 'invalid', reason: `the certificate has no ${describeField(options.userFrom)}` };
    }
    const found =
      options.groupsFrom === 'subjectOU'
        ? subjectValues(certificate.subject, 'OU').map((g) => (options.lowercaseGroups ? g.toLowerCase() : g))
        : [];
    return { kind: 'valid', identity: { user, groups: [...new Set(found)], source: 'mtls' } };
  };

  const checkForwarded = (encoded: string): CertificateCheck => {
    if (encoded.length > MAX_HEADER_LENGTH) {
      return { kind: 'invalid', reason: `the ${options.proxyHeader} header is too long for a certificate` };
    }
    let certificate: X509Certificate;
    try {
      certificate = new X509Certificate(decodeURIComponent(encoded));
    } catch {
      return {
        kind: 'invalid',
        reason: `the ${options.proxyHeader} header is not a URL-encoded PEM certificate`,
      };
    }
    const now = options.now();
    if (now < Date.parse(certificate.validFrom) || now > Date.parse(certificate.validTo)) {
      return { kind: 'invalid', reason: 'the forwarded certificate is expired or not yet valid' };
    }
    if (proxyCas.length > 0 && !proxyCas.some((ca) => issuedBy(certificate, ca))) {
      return { kind: 'invalid', reason: 'the forwarded certificate was not issued by auth.mtls.proxyCaFile' };
    }
    return identityOf(certificate);
  };

  const check = (request: IdentityRequest): CertificateCheck => {
    if (request.routeGroup === undefined || !groups.has(request.routeGroup)) return { kind: 'absent' };
    const presented = request.clientCertificate;
    if (presented) {
      if (!presented.authorized) {
        return {
          kind: 'invalid',
          reason: `the client certificate does not verify against gateway.tls.clientCaFile: ${describeTlsError(presented.authorizationError)}`,
        };
      }
      return identityOf(presented.certificate);
    }
    if (proxyHeader === undefined) return { kind: 'absent' };
    const forwarded = request.headers[proxyHeader];
    const value = Array.isArray(forwarded) ? forwarded[0] : forwarded;
    // From anyone but a trusted proxy the header is someone's claim, not a verified certificate: ignored,
    // as the trusted-proxy identity headers are.
    if (value === undefined || value === '' || !isTrustedProxy(request.remoteAddress))
      return { kind: 'absent' };
    return checkForwarded(value);
  };

  return {
    check,
    source: {
      name: 'mtls',
      identify(request) {
        const verdict = check(request);
        return verdict.kind === 'valid' ? verdict.identity : undefined;
      },
    },
  };
}

/** The user a certificate names, or undefined when the configured field is absent or unusable. */
export function userOf(certificate: X509Certificate, field: CertificateUserField): string | undefined {
  const value =
    field === 'subjectCN'
      ? subjectValues(certificate.subject, 'CN')[0]
      : subjectAltNames(certificate.subjectAltName, field === 'sanEmail' ? 'email' : 'URI')[0];
  const user = value?.trim();
  // A control character in a user name would end up in audit records and STS session names.
  if (!user || user.length > MAX_USER_LENGTH || /\p{Cc}/u.test(user)) return undefined;
  return user;
}

/**
 * Values of one attribute in Node's subject string (`CN=alice\nOU=payments\nOU=deploy`). Node writes a
 * value holding special characters as a JSON string (`CN="a, b"`), which is read back as such.
 */
export function subjectValues(subject: string, attribute: string): string[] {
  return subject
    .split('\n')
    .map((line) => {
      const at = line.indexOf('=');
      return at < 0 ? undefined : { key: line.slice(0, at), value: unquote(line.slice(at + 1)) };
    })
    .filter((entry): entry is { key: string; value: string } => entry?.key === attribute)
    .map((entry) => entry.value);
}

/** Values of one kind (`email`, `URI`) in Node's subjectAltName string (`email:a@b, URI:spiffe://x`). */
export function subjectAltNames(altNames: string | undefined, kind: string): string[] {
  if (!altNames) return [];
  const values: string[] = [];
  for (const match of altNames.matchAll(/([A-Za-z ]+):("(?:[^"\\]|\\.)*"|[^,]*)(?:, |$)/g)) {
    if (match[1] === kind) values.push(unquote(match[2] ?? ''));
  }
  return values;
}

function unquote(value: string): string {
  if (!value.startsWith('"')) return value;
  try {
    const parsed: unknown = JSON.parse(value);
    return typeof parsed === 'string' ? parsed : value;
  } catch {
    return value;
  }
}

function issuedBy(certificate: X509Certificate, ca: X509Certificate): boolean {
  return certificate.checkIssued(ca) && certificate.verify(ca.publicKey);
}

/** Every certificate of a PEM bundle (a CA file may hold several CAs). */
export function parsePemBundle(pem: string): X509Certificate[] {
  const blocks = pem.match(/-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/g) ?? [];
  return blocks.map((block) => new X509Certificate(block));
}

function describeField(field: CertificateUserField): string {
  return field === 'subjectCN' ? 'subject CN' : field === 'sanEmail' ? 'email SAN' : 'URI SAN';
}

/** OpenSSL's verification codes a person meets most, in words, with the code kept for searching. */
const TLS_ERROR_WORDS: Record<string, string> = {
  CERT_HAS_EXPIRED: 'it has expired',
  CERT_NOT_YET_VALID: 'it is not valid yet',
  UNABLE_TO_VERIFY_LEAF_SIGNATURE: 'it was not issued by that CA',
  UNABLE_TO_GET_ISSUER_CERT: 'it was not issued by that CA',
  UNABLE_TO_GET_ISSUER_CERT_LOCALLY: 'it was not issued by that CA',
  DEPTH_ZERO_SELF_SIGNED_CERT: 'it is self-signed',
  SELF_SIGNED_CERT_IN_CHAIN: 'its chain ends at a CA that is not that one',
  CERT_SIGNATURE_FAILURE: 'its signature does not verify',
};

function describeTlsError(code: string | undefined): string {
  if (!code) return 'unknown reason';
  const words = TLS_ERROR_WORDS[code];
  return words ? `${words} (${code})` : code;
}
