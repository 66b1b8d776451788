import { describe, expect, it } from 'vitest';
import { consoleDestination, consoleLoginUrl, signinTokenUrl } from './console-url.js';
import { ipRestrictionPolicy, ipRestrictionsFor } from './ip-policy.js';
import { toStsName } from './session-name.js';

describe('toStsName', () => {
  it('keeps an email, replaces characters STS refuses, and caps the length at 64', () => {
    expect(toStsName('alice@example.com')).toBe('alice@example.com');
    expect(toStsName('Bob Smith/ops+x=1,y')).toBe('Bob-Smith-ops+x=1,y');
    expect(toStsName('x'.repeat(100))).toHaveLength(64);
    expect(toStsName('a')).toBe('a-');
    expect(toStsName('ünïcode')).toMatch(/^[\w+=,.@-]{2,64}$/);
  });
});

describe('IP restriction policy', () => {
  it('denies requests from outside the CIDRs except through AWS services, and allows the rest', () => {
    const policy = JSON.parse(ipRestrictionPolicy(['10.0.0.0/8', '192.168.1.0/24'])) as {
      Statement: { Effect: string; Condition?: Record<string, Record<string, unknown>> }[];
    };
    const [deny, allow] = policy.Statement;
    expect(deny?.Effect).toBe('Deny');
    expect(deny?.Condition?.NotIpAddressIfExists?.['aws:SourceIp']).toEqual(['10.0.0.0/8', '192.168.1.0/24']);
    expect(deny?.Condition?.Null).toEqual({
      'aws:ViaAWSService': 'true',
      'aws:PrincipalTag/AWSServiceTrust': 'true',
    });
    expect(allow).toEqual({ Effect: 'Allow', Action: '*', Resource: '*' });
  });

  it('applies no restriction when asked not to, else the caller list, else the configured one', () => {
    expect(ipRestrictionsFor({ noIpRestrictions: true, configured: ['10.0.0.0/8'] })).toEqual([]);
    expect(ipRestrictionsFor({ customIpRestrictions: ['1.2.3.4/32'], configured: ['10.0.0.0/8'] })).toEqual([
      '1.2.3.4/32',
    ]);
    expect(ipRestrictionsFor({ configured: ['10.0.0.0/8'] })).toEqual(['10.0.0.0/8']);
    expect(ipRestrictionsFor({ configured: [] })).toEqual([]);
  });
});

describe('console URLs', () => {
  const credentials = {
    accessKeyId: 'ASIA1',
    secretAccessKey: 's',
    sessionToken: 't',
    expiration: new Date(),
  };

  it('asks the federation endpoint for a token with the session JSON', () => {
    const url = new URL(signinTokenUrl('http://127.0.0.1:9/federation', credentials));
    expect(url.searchParams.get('Action')).toBe('getSigninToken');
    expect(JSON.parse(url.searchParams.get('Session') ?? '')).toEqual({
      sessionId: 'ASIA1',
      sessionKey: 's',
      sessionToken: 't',
    });
  });

  it('lands on the region console, or on the redirect when given', () => {
    expect(
      consoleDestination({ consoleUrl: 'https://{region}.console.aws.amazon.com/', region: 'eu-west-1' }),
    ).toBe('https://eu-west-1.console.aws.amazon.com/');
    expect(
      consoleDestination({
        consoleUrl: 'x',
        region: 'us-east-1',
        redirect: 'https://console.aws.amazon.com/s3/home',
      }),
    ).toBe('https://console.aws.amazon.com/s3/home');
    expect(() =>
      consoleDestination({ consoleUrl: 'x', region: 'us-east-1', redirect: 'javascript:alert(1)' }),
    ).toThrow(/http/);
    expect(() => consoleDestination({ consoleUrl: 'x', region: 'us-east-1/../evil' })).toThrow(/region/);
  });

  it('builds the login URL with issuer, destination and token', () => {
    const url = new URL(
      consoleLoginUrl({
        federationUrl: 'https://signin.aws.amazon.com/federation',
        issuer: 'rolecall',
        destination: 'https://us-east-1.console.aws.amazon.com/',
        signinToken: 'tok',
      }),
    );
    expect(url.origin + url.pathname).toBe('https://signin.aws.amazon.com/federation');
    expect(Object.fromEntries(url.searchParams)).toEqual({
      Action: 'login',
      Issuer: 'rolecall',
      Destination: 'https://us-east-1.console.aws.amazon.com/',
      SigninToken: 'tok',
    });
  });
});
