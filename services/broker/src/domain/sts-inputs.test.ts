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

  const AWS_CONSOLE = ['console.aws.amazon.com', '*.console.aws.amazon.com'];

  it('lands on the region console, or on the redirect when it is an AWS console URL', () => {
    expect(
      consoleDestination({
        consoleUrl: 'https://{region}.console.aws.amazon.com/',
        region: 'eu-west-1',
        allowedRedirectHosts: AWS_CONSOLE,
      }),
    ).toBe('https://eu-west-1.console.aws.amazon.com/');
    for (const redirect of [
      'https://console.aws.amazon.com/s3/home',
      'https://us-west-2.console.aws.amazon.com/cloudformation/home?region=us-west-2',
      'https://EU-WEST-1.Console.AWS.Amazon.com/ec2/',
    ]) {
      expect(
        consoleDestination({
          consoleUrl: 'x',
          region: 'us-east-1',
          redirect,
          allowedRedirectHosts: AWS_CONSOLE,
        }),
      ).toBe(new URL(redirect).toString());
    }
    expect(() =>
      consoleDestination({ consoleUrl: 'x', region: 'us-east-1/../evil', allowedRedirectHosts: AWS_CONSOLE }),
    ).toThrow(/region/);
  });

  it.each([
    ['another site', 'https://evil.example.com/', /AWS console/],
    ['a host that ends like the console', 'https://evilconsole.aws.amazon.com/', /AWS console/],
    [
      'the console domain as a subdomain of another',
      'https://console.aws.amazon.com.evil.example/',
      /AWS console/,
    ],
    ['plain http', 'http://console.aws.amazon.com/', /https/],
    ['credentials in the URL', 'https://user:pw@console.aws.amazon.com/', /credentials/],
    ['a script URL', 'javascript:alert(1)', /https/],
    ['not a URL', '/relative/path', /not a URL/],
  ])('refuses a redirect to %s', (_name, redirect, message) => {
    expect(() =>
      consoleDestination({
        consoleUrl: 'x',
        region: 'us-east-1',
        redirect,
        allowedRedirectHosts: AWS_CONSOLE,
      }),
    ).toThrow(message);
  });

  it('lands on a configured host exactly, and on subdomains only through a *. pattern', () => {
    const allowedRedirectHosts = ['console.example.internal', '*.aws.example.com'];
    const land = (redirect: string) =>
      consoleDestination({ consoleUrl: 'x', region: 'us-east-1', redirect, allowedRedirectHosts });
    expect(land('https://console.example.internal/x')).toBe('https://console.example.internal/x');
    expect(land('https://a.b.aws.example.com/')).toBe('https://a.b.aws.example.com/');
    expect(() => land('https://aws.example.com/')).toThrow(/AWS console/);
    expect(() => land('https://sub.console.example.internal/')).toThrow(/AWS console/);
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
