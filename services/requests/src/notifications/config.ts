import type { RequestsNotificationsConfig } from '@rolecall/shared/config';
import type { SmtpMailerOptions } from './smtp-mailer.js';

export { RequestsNotificationsConfig, SmtpConfig } from '@rolecall/shared/config';

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
