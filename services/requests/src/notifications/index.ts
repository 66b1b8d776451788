export { resolveApproverAddresses, type ApproverAddresses } from './approver-addresses.js';
export {
  composeExpiryReminder,
  composeNotification,
  escapeMrkdwn,
  requestLink,
  topicOf,
  type ComposedMessage,
  type RequestSummary,
  type SlackBlock,
  type SlackPayload,
} from './compose.js';
export {
  RequestsNotificationsConfig,
  SmtpConfig,
  resolveNotificationChannels,
  type ResolvedNotificationChannels,
} from './config.js';
export { EXPIRY_SOON_WINDOW_MS, expirySoon, type ExpiringChange } from './expiry-soon.js';
export {
  RETRY_DELAYS_MS,
  audienceOf,
  buildNotifier,
  createNotifier,
  type BuildNotifierDeps,
  type CreateNotifierOptions,
  type Notifier,
  type RecipientsLookup,
  type RequestRecipients,
} from './notifier.js';
export { createSlackWebhook, type SlackPoster, type SlackWebhookOptions } from './slack-webhook.js';
export { createSmtpMailer, type Mail, type Mailer, type SmtpMailerOptions } from './smtp-mailer.js';
