import type { HistoryType, NotificationRouting, PolicyRequestHistoryItem } from '@rolecall/shared/contracts';
import { HistoryTypes } from '@rolecall/shared/contracts';
import { AppError } from '@rolecall/shared/errors';
import { capturedLogger } from '@rolecall/shared/log';
import { describe, expect, it } from 'vitest';
import type { SlackPayload } from './compose.js';
import { audienceOf, buildNotifier, type RecipientsLookup, type RequestRecipients } from './notifier.js';
import type { SlackPoster } from './slack-webhook.js';
import type { Mail, Mailer } from './smtp-mailer.js';

const RECIPIENTS: RequestRecipients = {
  requester: 'alice@example.com',
  approvers: ['carol@example.com', 'bob@example.com'],
};

function item(
  type: HistoryType,
  overrides: Partial<PolicyRequestHistoryItem> = {},
): PolicyRequestHistoryItem {
  return {
    requestId: 'req-1',
    kind: HistoryTypes[type],
    type,
    actor: 'alice@example.com',
    at: '2025-06-01T12:00:00.000Z',
    version: 1,
    status: 'pending',
    principalArn: 'arn:aws:iam::111111111111:role/app',
    ...overrides,
  };
}

/** A channel that fails the first `failures` calls with `error`, then succeeds. */
function flaky<T>(failures: number, error: () => Error) {
  const calls: T[] = [];
  return {
    calls,
    async call(value: T): Promise<void> {
      calls.push(value);
      await Promise.resolve();
      if (calls.length <= failures) throw error();
    },
  };
}

function setup(
  options: {
    routing?: NotificationRouting;
    slackFailures?: number;
    mailFailures?: number;
    error?: () => Error;
    recipients?: RecipientsLookup;
    withSlack?: boolean;
    withMail?: boolean;
  } = {},
) {
  const error =
    options.error ?? (() => new AppError('UPSTREAM_FAILED', 'Slack webhook at hooks.example answered 500'));
  const slackChannel = flaky<SlackPayload>(options.slackFailures ?? 0, error);
  const mailChannel = flaky<Mail>(options.mailFailures ?? 0, error);
  const slack: SlackPoster = { host: 'hooks.example', post: (p) => slackChannel.call(p) };
  const mailer: Mailer = { host: 'smtp.example:25', send: (m) => mailChannel.call(m), close: () => {} };
  const sleeps: number[] = [];
  const { log, lines } = capturedLogger();
  const notifier = buildNotifier({
    routing: () => options.routing ?? { created: ['slack', 'email'], commented: ['slack', 'email'] },
    ...(options.withSlack === false ? {} : { slack }),
    ...(options.withMail === false ? {} : { mailer }),
    publicUrl: 'https://rolecall.example.com',
    recipients: options.recipients ?? { recipientsOf: () => Promise.resolve(RECIPIENTS) },
    log,
    sleep: (ms) => {
      sleeps.push(ms);
      return Promise.resolve();
    },
  });
  return { notifier, slack: slackChannel.calls, mail: mailChannel.calls, sleeps, lines };
}

describe('buildNotifier', () => {
  it('sends a new request to Slack and mails its approvers, with the link in both', async () => {
    const { notifier, slack, mail } = setup();
    await notifier.notify(item('created'), { requester: 'alice@example.com' });
    expect(slack).toHaveLength(1);
    expect(slack[0]!.text).toContain('https://rolecall.example.com/requests/req-1');
    expect(mail).toEqual([
      {
        to: ['carol@example.com', 'bob@example.com'],
        subject: expect.stringContaining('New request req-1') as unknown,
        text: expect.stringContaining('https://rolecall.example.com/requests/req-1') as unknown,
      },
    ]);
  });

  it('mails a comment to the requester and the approvers except the one who wrote it', async () => {
    const { notifier, mail } = setup();
    await notifier.notify(item('commented', { actor: 'Bob@Example.com', message: 'ok' }));
    expect(mail.map((m) => m.to)).toEqual([['alice@example.com', 'carol@example.com']]);
  });

  it('sends each topic only where the routing says, read at every notification', async () => {
    let routing: NotificationRouting = { commented: ['email'] };
    const { log } = capturedLogger();
    const slack: SlackPayload[] = [];
    const mail: Mail[] = [];
    const notifier = buildNotifier({
      routing: () => routing,
      slack: { host: 'h', post: (p) => Promise.resolve(void slack.push(p)) },
      mailer: { host: 'm', send: (m) => Promise.resolve(void mail.push(m)), close: () => {} },
      publicUrl: 'https://x.example',
      recipients: { recipientsOf: () => Promise.resolve(RECIPIENTS) },
      log,
    });
    await notifier.notify(item('created'));
    await notifier.notify(item('commented', { actor: 'bob@example.com' }));
    expect([slack.length, mail.length]).toEqual([0, 1]);
    routing = { commented: ['slack'], status_changed: ['slack', 'email'] };
    await notifier.notify(item('commented', { actor: 'bob@example.com' }));
    await notifier.notify(item('rejected', { status: 'rejected', actor: 'bob@example.com' }));
    expect([slack.length, mail.length]).toEqual([2, 2]);
  });

  it('sends nothing for a step without a topic', async () => {
    const { notifier, slack, mail } = setup({
      routing: { created: ['slack'], commented: ['slack'], status_changed: ['slack', 'email'] },
    });
    await notifier.notify(item('approval_recorded'));
    await notifier.notify(item('change_applied', { status: 'applying' }));
    expect([slack.length, mail.length]).toEqual([0, 0]);
  });

  it('retries a failing delivery after 1 s then 4 s, and delivers on the third try', async () => {
    const { notifier, slack, mail, sleeps, lines } = setup({ slackFailures: 2 });
    await expect(notifier.notify(item('created'))).resolves.toBeUndefined();
    expect(slack).toHaveLength(3);
    expect(mail).toHaveLength(1);
    expect(sleeps).toEqual([1_000, 4_000]);
    const warnings = lines.filter((l) => l.level === 40);
    expect(warnings.map((l) => [l.channel, l.attempt, l.retryInMs])).toEqual([
      ['slack', 1, 1_000],
      ['slack', 2, 4_000],
    ]);
    expect(lines.find((l) => l.msg === 'notification sent' && l.channel === 'slack')).toMatchObject({
      attempt: 3,
      policyRequestId: 'req-1',
      topic: 'created',
    });
  });

  it('gives up after three tries, logs an error and resolves; the other channel is not held back', async () => {
    const { notifier, slack, mail, lines } = setup({ slackFailures: 99 });
    await expect(notifier.notify(item('created'))).resolves.toBeUndefined();
    expect(slack).toHaveLength(3);
    expect(mail).toHaveLength(1);
    const errors = lines.filter((l) => l.level === 50);
    expect(errors).toHaveLength(1);
    expect(errors[0]).toMatchObject({
      channel: 'slack',
      host: 'hooks.example',
      attempt: 3,
      policyRequestId: 'req-1',
      error: {
        code: 'UPSTREAM_FAILED',
        message: 'Slack webhook at hooks.example answered 500',
        retryable: true,
      },
    });
  });

  it('does not retry a failure that another try cannot cure', async () => {
    const { notifier, slack, sleeps, lines } = setup({
      slackFailures: 99,
      error: () => new AppError('UPSTREAM_FAILED', 'answered 404', { retryable: false }),
    });
    await notifier.notify(item('created'));
    expect(slack).toHaveLength(1);
    expect(sleeps).toEqual([]);
    expect(lines.filter((l) => l.level === 50)).toHaveLength(1);
  });

  it('retries a recipients lookup that fails, then mails', async () => {
    let lookups = 0;
    const { notifier, mail } = setup({
      recipients: {
        recipientsOf: () =>
          ++lookups === 1 ? Promise.reject(new Error('table busy')) : Promise.resolve(RECIPIENTS),
      },
    });
    await notifier.notify(item('created'));
    expect(lookups).toBe(2);
    expect(mail).toHaveLength(1);
  });

  it('mails nobody when there is nobody to mail', async () => {
    const { notifier, mail, lines } = setup({
      recipients: { recipientsOf: () => Promise.resolve({ requester: 'alice@example.com', approvers: [] }) },
    });
    await notifier.notify(item('created'));
    expect(mail).toEqual([]);
    expect(lines.some((l) => l.msg === 'notification has no recipients; not sent')).toBe(true);
  });

  it('skips a channel routed but not configured, warning once', async () => {
    const { notifier, slack, mail, lines } = setup({ withMail: false });
    await notifier.notify(item('created'));
    await notifier.notify(item('commented', { actor: 'bob@example.com' }));
    expect([slack.length, mail.length]).toEqual([2, 0]);
    expect(lines.filter((l) => l.level === 40 && l.channel === 'email')).toHaveLength(1);
  });

  it('never rejects, even when the routing cannot be read', async () => {
    const { log, lines } = capturedLogger();
    const notifier = buildNotifier({
      routing: () => {
        throw new Error('dynamic config unavailable');
      },
      publicUrl: 'https://x.example',
      recipients: { recipientsOf: () => Promise.resolve(RECIPIENTS) },
      log,
    });
    await expect(notifier.notify(item('created'))).resolves.toBeUndefined();
    expect(lines.find((l) => l.level === 50)).toMatchObject({
      policyRequestId: 'req-1',
      error: { message: 'dynamic config unavailable' },
    });
  });

  it('sends an expiry reminder to the requester and approvers where expiry_soon is routed', async () => {
    const { notifier, slack, mail } = setup({ routing: { expiry_soon: ['slack', 'email'] } });
    await notifier.remindExpiry({
      requestId: 'req-1',
      changeId: 'req-10',
      principalArn: 'arn:aws:iam::111111111111:role/app',
      expiresAt: '2025-06-02T09:00:00.000Z',
    });
    expect(slack).toHaveLength(1);
    expect(mail.map((m) => [m.to, m.subject])).toEqual([
      [
        ['alice@example.com', 'carol@example.com', 'bob@example.com'],
        '[Rolecall] A change of request req-1 expires at 2025-06-02T09:00:00.000Z',
      ],
    ]);
  });
});

describe('audienceOf', () => {
  it.each([
    ['created', RECIPIENTS, 'alice@example.com', ['carol@example.com', 'bob@example.com']],
    ['commented', RECIPIENTS, 'carol@example.com', ['alice@example.com', 'bob@example.com']],
    [
      'status_changed',
      RECIPIENTS,
      'rule:auto',
      ['alice@example.com', 'carol@example.com', 'bob@example.com'],
    ],
    [
      'expired',
      { requester: 'Alice@example.com', approvers: ['alice@example.com', ' bob@example.com ', ''] },
      undefined,
      ['Alice@example.com', 'bob@example.com'],
    ],
    ['expiry_soon', { approvers: ['bob@example.com'] }, undefined, ['bob@example.com']],
  ] as const)('%s mails %j without %s', (topic, recipients, actor, to) => {
    expect(audienceOf(topic, recipients, actor)).toEqual(to);
  });
});
