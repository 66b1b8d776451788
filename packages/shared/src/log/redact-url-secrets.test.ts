import { Writable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { createLogger, redactUrlSecrets } from './index.js';

const SESSION = JSON.stringify({
  sessionId: 'ASIAEXAMPLEKEYID',
  sessionKey: 'wJalrXUtnFEMI/K7MDENG/bPxRfiCYsecretKEY',
  sessionToken: 'FwoGZXIvYXdzEXAMPLEsessionTOKEN==',
});
const SECRETS = ['wJalrXUtnFEMI', 'sessionTOKEN', 'the-signin-token', 'deadbeefsignature'];

describe('redactUrlSecrets', () => {
  it.each([
    [
      'a percent-encoded getSigninToken URL',
      `/demo/federation?Action=getSigninToken&Session=${encodeURIComponent(SESSION)}&SessionDuration=3600`,
      '/demo/federation?Action=getSigninToken&Session=[redacted]&SessionDuration=3600',
    ],
    [
      'the session JSON unencoded, as it stands inside a JSON log line',
      JSON.stringify({ url: `/federation?Action=getSigninToken&Session=${SESSION}` }),
      '{"url":"/federation?Action=getSigninToken&Session=[redacted]"}',
    ],
    [
      'a login URL with a SigninToken, first parameter or not',
      'https://signin.aws.amazon.com/federation?SigninToken=the-signin-token&Action=login',
      'https://signin.aws.amazon.com/federation?SigninToken=[redacted]&Action=login',
    ],
    [
      'SigV4 presigned-URL parameters, whatever their case',
      '/b/k?X-Amz-Signature=deadbeefsignature&x-amz-security-token=sessionTOKEN&versionId=3',
      '/b/k?X-Amz-Signature=[redacted]&x-amz-security-token=[redacted]&versionId=3',
    ],
    [
      'a URL followed by more text',
      'GET /x?SigninToken=the-signin-token failed',
      'GET /x?SigninToken=[redacted] failed',
    ],
  ])('blanks %s', (_name, input, expected) => {
    const output = redactUrlSecrets(input);
    expect(output).toBe(expected);
    for (const secret of SECRETS) expect(output).not.toContain(secret);
  });

  it('blanks a Weep challenge token in the poller and validator paths', () => {
    const text =
      '{"url":"/noauth/v1/challenge_poller/abc_DEF-123"} /api/v2/challenge_validator/abc_DEF-123?x=1';
    expect(redactUrlSecrets(text)).toBe(
      '{"url":"/noauth/v1/challenge_poller/[redacted]"} /api/v2/challenge_validator/[redacted]?x=1',
    );
  });

  it('leaves parameters that carry no secret, and words that merely contain a name, alone', () => {
    const text =
      '/api/v2/role_login/session-admin?r=us-east-1&redirect=https%3A%2F%2Fconsole.aws.amazon.com%2F&Sessions=1';
    expect(redactUrlSecrets(text)).toBe(text);
  });

  it('applies to every line a logger writes, including the request URL of a logged request', () => {
    const lines: string[] = [];
    const destination = new Writable({
      write(chunk: Buffer, _encoding, done) {
        lines.push(chunk.toString('utf8'));
        done();
      },
    });
    const log = createLogger({ service: 'test', destination });
    log.info(
      { req: { url: `/demo/federation?Action=getSigninToken&Session=${encodeURIComponent(SESSION)}` } },
      'incoming',
    );
    log.error(
      { err: new Error(`fetch https://x/federation?Action=login&SigninToken=the-signin-token failed`) },
      'oops',
    );
    const written = lines.join('');
    expect(written).toContain('Session=[redacted]');
    expect(written).toContain('SigninToken=[redacted]');
    for (const secret of SECRETS) expect(written).not.toContain(secret);
  });
});
