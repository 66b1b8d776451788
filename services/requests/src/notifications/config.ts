import { Type, type Static } from 'typebox';
import type { SmtpMailerOptions } from './smtp-mailer.js';

/** The name of an environment variable that holds a secret, so the secret stays out of config files. */
const envName = (description: string) =>
  Type.String({ pattern: '^[A-Za-z_][A-Za-z0-9_]*$', maxLength: 128, description });

/** `requests.notifications.smtp`: the mail server notifications go through. */
export const SmtpConfig = Type.Object(
  {
    host: Type.String({ minLength: 1, description: 'SMTP server host' }),
    port: Type.Integer({ minimum: 1, maximum: 65535, default: 587, description: 'SMTP server port' }),
    secure: Type.Boolean({
      default: false,
      description: 'TLS from the start (port 465); when false, STARTTLS is used where the server offers it',
    }),
    user: Type.Optional(Type.String({ minLength: 1, description: 'SMTP login; absent: no authentication' })),
    passwordEnv: Type.Optional(
      envName('Name of the environment variable holding the SMTP password (never the password itself)'),
    ),
    from: Type.String({
      minLength: 3,
      maxLength: 320,
      description: 'From address of the mails, e.g. "Rolecall <rolecall@example.com>"',
    }),
  },
  { additionalProperties: false },
);
export type SmtpConfig = Static<typeof SmtpConfig>;

/**
 * `requests.notifications` in the static config. Which topic goes to which channel is dynamic config
 * (`policy_requests.notifications`); this says how to reach the channels. A channel left out is off.
 */
export const RequestsNotificationsConfig = Type.Object(
  {
    slackWebhookUrl: Type.Optional(
      Type.String({
        pattern: '^https?://[^\\s]+$',
        description:
          'Slack incoming webhook. A secret: prefer slackWebhookUrlEnv outside demo and test config files',
      }),
    ),
    slackWebhookUrlEnv: Type.Optional(
      envName('Name of the environment variable holding the Slack incoming webhook URL'),
    ),
    smtp: Type.Optional(SmtpConfig),
  },
  { additionalProperties: false, default: {} },
);
export type RequestsNotificationsConfig = Static<typeof RequestsNotificationsConfig>;

/** The channels `createNotifier` takes, secrets read from the environment. */
export interface ResolvedNotificationChannels {
  slack?: { webhookUrl: string };
  smtp?: SmtpMailerOptions;
}

/**
 * Reads the secrets the config names from `env` (the composition root passes `process.env`), reporting
 * every problem together. A problem names the key and the variable, never a value.
 */
export function resolveNotificationChannels(
  config: RequestsNotificationsConfig,
  env: Readonly<Record<string, string | undefined>>,
): { ok: true; channels: ResolvedNotificationChannels } | { ok: false; problems: string[] } {
  const problems: string[] = [];
  const channels: ResolvedNotificationChannels = {};
  const key = 'requests.notifications';

  if (config.slackWebhookUrl !== undefined && config.slackWebhookUrlEnv !== undefined) {
    problems.push(`${key}: give slackWebhookUrl or slackWebhookUrlEnv, not both`);
  } else if (config.slackWebhookUrl !== undefined) {
    channels.slack = { webhookUrl: config.slackWebhookUrl };
  } else if (config.slackWebhookUrlEnv !== undefined) {
    const webhookUrl = env[config.slackWebhookUrlEnv];
    if (!webhookUrl) {
      problems.push(`${key}.slackWebhookUrlEnv: the variable ${config.slackWebhookUrlEnv} is not set`);
    } else if (!/^https?:\/\/\S+$/.test(webhookUrl)) {
      problems.push(
        `${key}.slackWebhookUrlEnv: the variable ${config.slackWebhookUrlEnv} is not an http(s) URL`,
      );
    } else {
      channels.slack = { webhookUrl };
    }
  }

  const smtp = config.smtp;
  if (smtp !== undefined) {
    let password: string | undefined;
    if (smtp.passwordEnv !== undefined) {
      password = env[smtp.passwordEnv];
      if (!password) problems.push(`${key}.smtp.passwordEnv: the variable ${smtp.passwordEnv} is not set`);
      if (smtp.user === undefined) problems.push(`${key}.smtp: passwordEnv is given without a user`);
    } else if (smtp.user !== undefined) {
      problems.push(`${key}.smtp: user is given without passwordEnv`);
    }
    channels.smtp = {
      host: smtp.host,
      port: smtp.port,
      secure: smtp.secure,
      from: smtp.from,
      ...(smtp.user === undefined ? {} : { user: smtp.user }),
      ...(password === undefined ? {} : { password }),
    };
  }

  return problems.length > 0 ? { ok: false, problems } : { ok: true, channels };
}
