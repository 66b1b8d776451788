import type { HistoryType, PolicyRequestHistoryItem } from '@rolecall/shared/contracts';
import { HistoryTypes } from '@rolecall/shared/contracts';
import { describe, expect, it } from 'vitest';
import {
  composeExpiryReminder,
  composeNotification,
  escapeMrkdwn,
  requestLink,
  topicOf,
  type ComposedMessage,
} from './compose.js';

const PRINCIPAL = 'arn:aws:iam::111111111111:role/app';

function item(
  type: HistoryType,
  overrides: Partial<PolicyRequestHistoryItem> = {},
): PolicyRequestHistoryItem {
  return {
    requestId: 'req-1',
    kind: HistoryTypes[type],
    type,
    actor: 'bob@example.com',
    at: '2025-06-01T12:00:00.000Z',
    version: 2,
    status: 'pending',
    principalArn: PRINCIPAL,
    ...overrides,
  };
}

/** Every piece of text a message shows, on every channel. */
function everything(message: ComposedMessage): string {
  return [message.subject, message.text, JSON.stringify(message.slack)].join('\n');
}

describe('topicOf', () => {
  it.each([
    ['created', 'pending', 'created'],
    ['commented', 'pending', 'commented'],
    ['approved', 'applying', 'status_changed'],
    ['rejected', 'rejected', 'status_changed'],
    ['cancelled', 'cancelled', 'status_changed'],
    ['moved_back_to_pending', 'pending', 'status_changed'],
    ['change_failed', 'failed', 'status_changed'],
    ['change_applied', 'approved', 'status_changed'],
    ['change_applied', 'applying', undefined],
    ['change_expired', 'approved', 'expired'],
    ['change_expired', 'expired', 'expired'],
    ['change_updated', 'pending', undefined],
    ['change_cancelled', 'pending', undefined],
    ['approval_recorded', 'pending', undefined],
  ] as const)('%s leaving the request %s → %s', (type, status, topic) => {
    expect(topicOf(item(type, { status }))).toBe(topic);
  });
});

describe('requestLink', () => {
  it.each([
    ['https://rolecall.example.com', 'https://rolecall.example.com/requests/req-1'],
    ['https://rolecall.example.com/', 'https://rolecall.example.com/requests/req-1'],
    ['https://rolecall.example.com//', 'https://rolecall.example.com/requests/req-1'],
    ['https://example.com/rolecall/', 'https://example.com/rolecall/requests/req-1'],
  ])('%s → %s', (publicUrl, link) => {
    expect(requestLink(publicUrl, 'req-1')).toBe(link);
  });

  it('encodes an id that would leave the path', () => {
    expect(requestLink('https://x.example', '../a?b#c')).toBe('https://x.example/requests/..%2Fa%3Fb%23c');
  });
});

describe('escapeMrkdwn', () => {
  it('escapes &, < and > so user text cannot open a link, a mention or a command', () => {
    expect(escapeMrkdwn('<!channel> & <https://evil.example|click> a>b')).toBe(
      '&lt;!channel&gt; &amp; &lt;https://evil.example|click&gt; a&gt;b',
    );
  });
});

describe('composeNotification', () => {
  const publicUrl = 'https://rolecall.example.com/';

  it('announces a new request with the requester, principal, approvers, justification and link', () => {
    const message = composeNotification(item('created', { actor: 'alice@example.com', version: 1 }), {
      publicUrl,
      summary: {
        requester: 'alice@example.com',
        approverGroups: ['prod-approvers', 'team-data'],
        justification: 'Need to read the reports bucket',
      },
    });
    expect(message).toBeDefined();
    const m = message!;
    expect(m.topic).toBe('created');
    expect(m.link).toBe('https://rolecall.example.com/requests/req-1');
    expect(m.subject).toBe(`[Rolecall] New request req-1 for ${PRINCIPAL}`);
    expect(m.text).toContain('alice@example.com asks for changes to');
    expect(m.text).toContain('Approvers: prod-approvers, team-data');
    expect(m.text).toContain('> Need to read the reports bucket');
    expect(m.text).toContain(`Open the request: ${m.link}`);
    expect(m.slack.text).toContain(m.link);
    expect(JSON.stringify(m.slack.blocks)).toContain(`<${m.link}|request req-1>`);
  });

  it('quotes a comment and names who wrote it', () => {
    const m = composeNotification(item('commented', { message: 'Why prod?\nPlease explain.' }), {
      publicUrl,
    })!;
    expect(m.topic).toBe('commented');
    expect(m.subject).toBe('[Rolecall] bob@example.com commented on request req-1');
    expect(m.text).toContain('> Why prod?\n> Please explain.');
    expect(m.slack.blocks[1]).toEqual({
      type: 'section',
      text: { type: 'mrkdwn', text: '>Why prod?\n>Please explain.' },
    });
  });

  it.each([
    ['approved', 'applying', 'Request req-1 was approved'],
    ['rejected', 'rejected', 'Request req-1 was rejected'],
    ['cancelled', 'cancelled', 'Request req-1 was cancelled'],
    ['moved_back_to_pending', 'pending', 'Request req-1 was moved back to pending'],
    ['change_applied', 'approved', 'Request req-1 is applied'],
    ['change_failed', 'failed', 'A change of request req-1 failed to apply'],
  ] as const)('names a status change (%s) in the subject', (type, status, subject) => {
    const m = composeNotification(item(type, { status, changeId: 'req-10' }), { publicUrl })!;
    expect(m.topic).toBe('status_changed');
    expect(m.subject).toBe(`[Rolecall] ${subject}`);
    expect(m.text).toContain(`Status: ${status}`);
  });

  it('says who decided, but not for the last change applied by Rolecall itself', () => {
    expect(composeNotification(item('rejected', { status: 'rejected' }), { publicUrl })!.text).toContain(
      'was rejected by bob@example.com.',
    );
    const applied = composeNotification(item('change_applied', { status: 'approved', actor: 'rolecall' }), {
      publicUrl,
    })!;
    expect(applied.text).not.toContain('by rolecall');
  });

  it('reports an expired change with what the removal found', () => {
    const m = composeNotification(
      item('change_expired', {
        status: 'expired',
        changeId: 'req-10',
        message: 'statement was edited by hand',
      }),
      { publicUrl },
    )!;
    expect(m.topic).toBe('expired');
    expect(m.text).toContain('Change req-10 of request req-1 expired and was removed from');
    expect(m.text).toContain('> statement was edited by hand');
  });

  it('notifies nobody of a step without a topic', () => {
    expect(composeNotification(item('approval_recorded'), { publicUrl })).toBeUndefined();
  });

  it('escapes user text in every Slack field and keeps the subject on one line', () => {
    const hostile = '<!channel> <https://evil.example|login> & more';
    const m = composeNotification(item('created', { actor: '<@U123>', message: hostile }), {
      publicUrl,
      summary: {
        requester: '<!here>',
        justification: hostile,
        approverGroups: ['<!everyone>'],
        principalArn: 'arn:aws:iam::1:role/<x>\r\nBcc: victim@example.com',
      },
    })!;
    const slack = JSON.stringify(m.slack);
    for (const raw of ['<!channel>', '<!here>', '<!everyone>', '<https://evil.example', '<x>']) {
      expect(slack).not.toContain(raw);
    }
    expect(slack).toContain('&lt;!channel&gt;');
    expect(m.subject).not.toMatch(/[\r\n]/);
  });

  it('clips a very long comment', () => {
    const m = composeNotification(item('commented', { message: 'x'.repeat(10_000) }), { publicUrl })!;
    for (const block of m.slack.blocks) {
      if (block.type === 'section') expect(block.text.text.length).toBeLessThanOrEqual(3000);
    }
    expect(m.text.length).toBeLessThan(2_000);
  });

  it('carries nothing but the request and people: no config, no URL other than the link', () => {
    const m = composeNotification(item('commented', { message: 'ok' }), { publicUrl })!;
    const urls = everything(m).match(/https?:\/\/[^\s|>"]+/g) ?? [];
    expect(new Set(urls)).toEqual(new Set([m.link]));
  });
});

describe('composeExpiryReminder', () => {
  it('says which change ends when, with the link', () => {
    const m = composeExpiryReminder(
      {
        requestId: 'req-1',
        changeId: 'req-10',
        principalArn: PRINCIPAL,
        expiresAt: '2025-06-02T09:00:00.000Z',
      },
      { publicUrl: 'https://rolecall.example.com' },
    );
    expect(m.topic).toBe('expiry_soon');
    expect(m.subject).toBe('[Rolecall] A change of request req-1 expires at 2025-06-02T09:00:00.000Z');
    expect(m.text).toContain(`Change req-10 of request req-1 for ${PRINCIPAL} expires at`);
    expect(m.text).toContain('https://rolecall.example.com/requests/req-1');
    expect(JSON.stringify(m.slack)).toContain('<https://rolecall.example.com/requests/req-1|request req-1>');
  });
});
