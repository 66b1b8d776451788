import { Value } from 'typebox/value';
import { describe, expect, it } from 'vitest';
import { RequestsNotificationsConfig, resolveNotificationChannels } from './config.js';

const SMTP = { host: 'smtp.example.com', from: 'Rolecall <rolecall@example.com>' };

describe('RequestsNotificationsConfig', () => {
  it('defaults to no channel at all, and fills the SMTP port and secure flag', () => {
    expect(Value.Default(RequestsNotificationsConfig, undefined)).toEqual({});
    const config = Value.Default(RequestsNotificationsConfig, { smtp: { ...SMTP } });
    expect(config).toEqual({ smtp: { ...SMTP, port: 587, secure: false } });
    expect(Value.Check(RequestsNotificationsConfig, config)).toBe(true);
  });

  it.each([
    ['an unknown key', { slack: 'x' }],
    ['a webhook that is not http(s)', { slackWebhookUrl: 'ftp://hooks.example/x' }],
    ['an SMTP server without a from address', { smtp: { host: 'h', port: 25, secure: false } }],
    ['a port out of range', { smtp: { ...SMTP, port: 70000, secure: false } }],
    [
      'a password in place of the variable naming it',
      { smtp: { ...SMTP, port: 25, secure: false, password: 'p' } },
    ],
    [
      'a variable name that is not one',
      { smtp: { ...SMTP, port: 25, secure: false, passwordEnv: 'MY PASS' } },
    ],
  ])('refuses %s', (_name, value) => {
    expect(Value.Check(RequestsNotificationsConfig, value)).toBe(false);
  });
});

describe('resolveNotificationChannels', () => {
  const smtp = { ...SMTP, port: 587, secure: false };

  it('reads the SMTP password and the webhook from the variables the config names', () => {
    const result = resolveNotificationChannels(
      { slackWebhookUrlEnv: 'SLACK_URL', smtp: { ...smtp, user: 'rolecall', passwordEnv: 'SMTP_PASSWORD' } },
      { SLACK_URL: 'https://hooks.slack.example/services/T/B/x', SMTP_PASSWORD: 'hunter2' },
    );
    expect(result).toEqual({
      ok: true,
      channels: {
        slack: { webhookUrl: 'https://hooks.slack.example/services/T/B/x' },
        smtp: { ...smtp, user: 'rolecall', password: 'hunter2' },
      },
    });
  });

  it('takes a webhook written in the config, and an SMTP server without login', () => {
    expect(resolveNotificationChannels({ slackWebhookUrl: 'https://h.example/x', smtp }, {})).toEqual({
      ok: true,
      channels: { slack: { webhookUrl: 'https://h.example/x' }, smtp },
    });
  });

  it('reports every problem together, naming variables but no value', () => {
    const result = resolveNotificationChannels(
      { slackWebhookUrlEnv: 'SLACK_URL', smtp: { ...smtp, user: 'rolecall', passwordEnv: 'SMTP_PASSWORD' } },
      { SLACK_URL: 'not-a-url-secret' },
    );
    expect(result).toEqual({
      ok: false,
      problems: [
        'requests.notifications.slackWebhookUrlEnv: the variable SLACK_URL is not an http(s) URL',
        'requests.notifications.smtp.passwordEnv: the variable SMTP_PASSWORD is not set',
      ],
    });
  });

  it.each([
    [{ slackWebhookUrl: 'https://h.example/x', slackWebhookUrlEnv: 'S' }, 'not both'],
    [{ smtp: { ...smtp, user: 'rolecall' } }, 'user is given without passwordEnv'],
    [{ smtp: { ...smtp, passwordEnv: 'P' } }, 'passwordEnv is given without a user'],
  ])('refuses %j (%s)', (config, problem) => {
    const result = resolveNotificationChannels(config, { S: 'https://h.example/y', P: 'pw' });
    expect(result.ok).toBe(false);
    expect(!result.ok && result.problems.join('\n')).toContain(problem);
  });
});
