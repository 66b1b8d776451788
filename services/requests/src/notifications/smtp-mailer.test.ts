import { describe, expect, it } from 'vitest';
import { createSmtpMailer, toMailError } from './smtp-mailer.js';

const HOST = 'smtp.example.com:587';
const nodemailerError = (message: string, fields: { code?: string; responseCode?: number }) =>
  Object.assign(new Error(message), fields);

describe('toMailError', () => {
  it.each([
    ['a refused connection', { code: 'ECONNECTION' }, 'UPSTREAM_UNAVAILABLE', true],
    ['a timeout', { code: 'ETIMEDOUT' }, 'TIMEOUT', true],
    ['a broken socket', { code: 'ESOCKET' }, 'UPSTREAM_UNAVAILABLE', true],
    ['a temporary refusal (451)', { code: 'EMESSAGE', responseCode: 451 }, 'UPSTREAM_FAILED', true],
    ['refused recipients (550)', { code: 'EENVELOPE', responseCode: 550 }, 'UPSTREAM_FAILED', false],
    ['a refused login (535)', { code: 'EAUTH', responseCode: 535 }, 'UPSTREAM_FAILED', false],
    ['no recipients at all', { code: 'EENVELOPE' }, 'UPSTREAM_FAILED', false],
    ['an error nodemailer did not classify', {}, 'UPSTREAM_FAILED', true],
  ])('%s → %s, retryable=%s', (_name, fields, code, retryable) => {
    const error = toMailError(nodemailerError('server said no', fields), HOST);
    expect(error.code).toBe(code);
    expect(error.retryable).toBe(retryable);
    expect(error.message).toContain(`SMTP server ${HOST}`);
    expect(error.message).toContain('server said no');
    expect(error.context).toMatchObject({
      host: HOST,
      ...('code' in fields ? { errorCode: fields.code } : {}),
    });
  });

  it('does not keep the original error, whose command log may hold the login', () => {
    expect(
      toMailError(nodemailerError('x', { code: 'EAUTH', responseCode: 535 }), HOST).cause,
    ).toBeUndefined();
  });
});

describe('createSmtpMailer', () => {
  it('names its server by host and port, and connects to nothing until it sends', () => {
    const mailer = createSmtpMailer({
      host: 'smtp.example.com',
      port: 587,
      secure: false,
      user: 'rolecall',
      password: 'hunter2',
      from: 'Rolecall <rolecall@example.com>',
    });
    expect(mailer.host).toBe(HOST);
    mailer.close();
  });
});
