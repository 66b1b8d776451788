import { setTimeout as delay } from 'node:timers/promises';
import type {
  NotificationChannel,
  NotificationRouting,
  NotificationTopic,
  PolicyRequestHistoryItem,
} from '@rolecall/shared/contracts';
import { isAppError } from '@rolecall/shared/errors';
import type { Logger } from '@rolecall/shared/log';
import { metrics } from '@rolecall/shared/metrics';
import {
  composeExpiryReminder,
  composeNotification,
  type ComposedMessage,
  type RequestSummary,
} from './compose.js';
import type { ExpiringChange } from './expiry-soon.js';
import { createSlackWebhook, type SlackPoster } from './slack-webhook.js';
import { createSmtpMailer, type Mailer, type SmtpMailerOptions } from './smtp-mailer.js';

/** The email addresses a request's notifications go to. */
export interface RequestRecipients {
  requester?: string;
  /** Everyone who may approve it, groups resolved to their members' addresses. */
  approvers: readonly string[];
}

/** Port: who hears about a request. Asked on every delivery, so a changed group is seen at once. */
export interface RecipientsLookup {
  recipientsOf(requestId: string): Promise<RequestRecipients>;
}

/** Sends a request's notifications. Its methods never reject: a failed delivery is retried, then logged. */
export interface Notifier {
  /** A step of a request's history; a step without a topic (an edit, one approval of several) sends nothing. */
  notify(item: PolicyRequestHistoryItem, summary?: RequestSummary): Promise<void>;
  /** The `expiry_soon` reminder of a change (see `expirySoon` for when one is due). */
  remindExpiry(change: ExpiringChange, summary?: RequestSummary): Promise<void>;
}

/** Waits between tries: 1 s, then 4 s, so a third try comes about 5 s after the first. */
export const RETRY_DELAYS_MS: readonly number[] = [1_000, 4_000];

export interface BuildNotifierDeps {
  /** Read at every notification: the routing lives in dynamic config. */
  routing: () => NotificationRouting | undefined;
  /** Absent: Slack is not configured, and a topic routed to it is logged and skipped. */
  slack?: SlackPoster;
  /** Absent: email is not configured. */
  mailer?: Mailer;
  /** `gateway.publicUrl`. */
  publicUrl: string;
  recipients: RecipientsLookup;
  log: Logger;
  sleep?: (ms: number) => Promise<void>;
  retryDelaysMs?: readonly number[];
}

/** A notifier over ready-made channels; `createNotifier` builds them from config. */
export function buildNotifier(deps: BuildNotifierDeps): Notifier {
  const sleep = deps.sleep ?? ((ms: number) => delay(ms));
  const delays = deps.retryDelaysMs ?? RETRY_DELAYS_MS;
  const warnedUnconfigured = new Set<NotificationChannel>();

  function channelsOf(topic: NotificationTopic): NotificationChannel[] {
    const routed = deps.routing()?.[topic] ?? [];
    return [...new Set(routed)].filter((channel) => {
      const configured = channel === 'slack' ? deps.slack !== undefined : deps.mailer !== undefined;
      if (!configured && !warnedUnconfigured.has(channel)) {
        warnedUnconfigured.add(channel);
        deps.log.warn(
          { channel, topic },
          `notifications are routed to ${channel}, but no ${channel === 'slack' ? 'Slack webhook' : 'SMTP server'} is configured`,
        );
      }
      return configured;
    });
  }

  /** Tries one delivery up to `delays.length + 1` times, fewer when a failure is final; never throws. */
  async function deliver(
    channel: NotificationChannel,
    host: string,
    message: ComposedMessage,
    send: () => Promise<'sent' | 'nobody'>,
  ): Promise<void> {
    const fields = { channel, host, topic: message.topic, policyRequestId: message.requestId };
    const tries = delays.length + 1;
    for (let attempt = 1; ; attempt += 1) {
      try {
        const outcome = await send();
        if (outcome === 'nobody') deps.log.info(fields, 'notification has no recipients; not sent');
        else deps.log.info({ ...fields, attempt }, 'notification sent');
        return;
      } catch (error) {
        const described = describe(error);
        const last = attempt >= tries || !described.retryable;
        if (last) {
          metrics.notificationFailures.inc({ channel });
          deps.log.error(
            { ...fields, attempt, error: described },
            described.retryable ? `notification not sent after ${attempt} tries` : 'notification not sent',
          );
          return;
        }
        const waitMs = delays[attempt - 1] ?? 0;
        deps.log.warn(
          { ...fields, attempt, error: described, retryInMs: waitMs },
          'notification failed; retrying',
        );
        await sleep(waitMs);
      }
    }
  }

  async function send(
    message: ComposedMessage,
    audience: (recipients: RequestRecipients) => string[],
  ): Promise<void> {
    const { slack, mailer } = deps;
    await Promise.all(
      channelsOf(message.topic).map((channel) => {
        if (channel === 'slack' && slack) {
          return deliver('slack', slack.host, message, async () => {
            await slack.post(message.slack);
            return 'sent';
          });
        }
        if (channel === 'email' && mailer) {
          return deliver('email', mailer.host, message, async () => {
            // Looked up inside the try: a lookup that fails is retried like the mail.
            const to = audience(await deps.recipients.recipientsOf(message.requestId));
            if (to.length === 0) return 'nobody';
            await mailer.send({ to, subject: message.subject, text: message.text });
            return 'sent';
          });
        }
        return Promise.resolve();
      }),
    );
  }

  /** Keeps callers safe from anything unforeseen (a routing read that throws, a composing bug). */
  async function guarded(what: Record<string, unknown>, work: () => Promise<void>): Promise<void> {
    try {
      await work();
    } catch (error) {
      deps.log.error({ ...what, error: describe(error) }, 'notification failed');
    }
  }

  return {
    notify(item, summary) {
      return guarded({ policyRequestId: item.requestId, type: item.type }, async () => {
        const message = composeNotification(item, { publicUrl: deps.publicUrl, summary });
        if (message === undefined) return;
        // Nobody is mailed about what they did themselves.
        await send(message, (r) => audienceOf(message.topic, r, item.actor));
      });
    },
    remindExpiry(change, summary) {
      return guarded({ policyRequestId: change.requestId, changeId: change.changeId }, async () => {
        const message = composeExpiryReminder(change, { publicUrl: deps.publicUrl, summary });
        await send(message, (r) => audienceOf(message.topic, r));
      });
    },
  };
}

/**
 * Who is mailed: a new request goes to its approvers, everything else to the requester and the approvers.
 * Addresses are compared case-insensitively; the actor, when given, is left out.
 */
export function audienceOf(
  topic: NotificationTopic,
  recipients: RequestRecipients,
  actor?: string,
): string[] {
  const candidates =
    topic === 'created' ? recipients.approvers : [recipients.requester, ...recipients.approvers];
  const seen = new Set<string>(actor === undefined ? [] : [actor.trim().toLowerCase()]);
  const to: string[] = [];
  for (const address of candidates) {
    const key = address?.trim().toLowerCase();
    if (!key || seen.has(key)) continue;
    seen.add(key);
    to.push(address!.trim());
  }
  return to;
}

/** What a log line says of a failure: the code, the message and whether it is retried, not the error object. */
function describe(error: unknown): { code: string; message: string; retryable: boolean } {
  if (isAppError(error)) return { code: error.code, message: error.message, retryable: error.retryable };
  return {
    code: 'INTERNAL',
    message: error instanceof Error ? error.message : String(error),
    retryable: true,
  };
}

export interface CreateNotifierOptions extends Omit<BuildNotifierDeps, 'slack' | 'mailer'> {
  slack?: { webhookUrl: string; timeoutMs?: number };
  smtp?: SmtpMailerOptions;
}

/** A notifier with the real channels: a Slack incoming webhook and an SMTP server, each optional. */
export function createNotifier(options: CreateNotifierOptions): Notifier & { close(): void } {
  const { slack, smtp, ...rest } = options;
  const mailer = smtp === undefined ? undefined : createSmtpMailer(smtp);
  const notifier = buildNotifier({
    ...rest,
    ...(slack === undefined ? {} : { slack: createSlackWebhook(slack) }),
    ...(mailer === undefined ? {} : { mailer }),
  });
  return {
    ...notifier,
    close() {
      mailer?.close();
    },
  };
}
