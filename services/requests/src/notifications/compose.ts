import type { HistoryType, NotificationTopic, PolicyRequestHistoryItem } from '@rolecall/shared/contracts';
import type { ExpiringChange } from './expiry-soon.js';

/**
 * What the notifier may know about a request beyond its history item, for the message only. Every field
 * is optional: a message without them still names the request, its principal and the link.
 */
export interface RequestSummary {
  /** The requester's email. */
  requester?: string;
  /** The principal the request changes; the history item's `principalArn` when absent. */
  principalArn?: string;
  /** Groups (and users) that may approve it, as the approval rules name them. */
  approverGroups?: readonly string[];
  /** The approvers' email addresses, when resolved. */
  approverEmails?: readonly string[];
  justification?: string;
}

/** One message, rendered for every channel. */
export interface ComposedMessage {
  topic: NotificationTopic;
  requestId: string;
  /** The request's page: `${publicUrl}/requests/${id}`. */
  link: string;
  /** One line, for the mail's subject (no line breaks). */
  subject: string;
  /** The mail's body: plain text, the link on its own line. */
  text: string;
  /** The Slack incoming-webhook payload: `text` is the notification's fallback, `blocks` what is shown. */
  slack: SlackPayload;
}

export interface SlackPayload {
  text: string;
  blocks: SlackBlock[];
}

export type SlackBlock =
  | { type: 'section'; text: { type: 'mrkdwn'; text: string } }
  | { type: 'context'; elements: { type: 'mrkdwn'; text: string }[] };

/** Which topic each step of a request's history belongs to; steps absent notify nobody. */
const TOPIC_OF_TYPE: Partial<Record<HistoryType, NotificationTopic>> = {
  created: 'created',
  commented: 'commented',
  approved: 'status_changed',
  rejected: 'status_changed',
  cancelled: 'status_changed',
  moved_back_to_pending: 'status_changed',
  change_failed: 'status_changed',
  change_expired: 'expired',
};

/**
 * The topic a history item belongs to, or undefined when it notifies nobody (an edit, one approval of
 * several). Applying a change is a status change only when it is the last one: the request is then
 * `approved`; until then it stays `applying`, which its `approved` step already announced.
 */
export function topicOf(item: PolicyRequestHistoryItem): NotificationTopic | undefined {
  if (item.type === 'change_applied') return item.status === 'approved' ? 'status_changed' : undefined;
  return TOPIC_OF_TYPE[item.type];
}

/** The request's page under the gateway's public URL, whatever trailing slashes that URL has. */
export function requestLink(publicUrl: string, requestId: string): string {
  return `${publicUrl.replace(/\/+$/, '')}/requests/${encodeURIComponent(requestId)}`;
}

/** Slack's mrkdwn control characters: user text must not open a link, a mention or a command. */
export function escapeMrkdwn(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}

/** Quoted user text is cut here: Slack refuses a section over 3,000 characters, and a mail is a pointer. */
const MAX_QUOTE = 1_000;

function clip(text: string, max = MAX_QUOTE): string {
  return text.length <= max ? text : `${text.slice(0, max - 1)}…`;
}

/** A header value on one line: CR and LF would start another header. */
function oneLine(text: string): string {
  return text.replace(/[\r\n]+/g, ' ').trim();
}

/** Plain-text and mrkdwn pieces of one message, before they are put together. */
interface Draft {
  topic: NotificationTopic;
  requestId: string;
  subject: string;
  /** The headline, plain. */
  headline: string;
  /** The headline with the request linked, mrkdwn (user text escaped). */
  slackHeadline: string;
  /** Further facts, label → plain value. */
  facts: [string, string][];
  /** User text shown quoted (a comment, a justification, an error). */
  quote?: string;
}

function render(draft: Draft, link: string): ComposedMessage {
  const facts = draft.facts.filter(([, value]) => value !== '');
  const text = [
    draft.headline,
    '',
    ...facts.map(([label, value]) => `${label}: ${value}`),
    ...(draft.quote === undefined
      ? []
      : [
          '',
          ...clip(draft.quote)
            .split('\n')
            .map((l) => `> ${l}`),
        ]),
    '',
    `Open the request: ${link}`,
    '',
  ].join('\n');
  const blocks: SlackBlock[] = [{ type: 'section', text: { type: 'mrkdwn', text: draft.slackHeadline } }];
  if (draft.quote !== undefined) {
    const quoted = escapeMrkdwn(clip(draft.quote))
      .split('\n')
      .map((l) => `>${l}`)
      .join('\n');
    blocks.push({ type: 'section', text: { type: 'mrkdwn', text: quoted } });
  }
  if (facts.length > 0) {
    blocks.push({
      type: 'context',
      elements: facts.map(([label, value]) => ({
        type: 'mrkdwn',
        text: `*${label}:* ${escapeMrkdwn(value)}`,
      })),
    });
  }
  return {
    topic: draft.topic,
    requestId: draft.requestId,
    link,
    subject: oneLine(`[Rolecall] ${draft.subject}`),
    text,
    // The fallback text is mrkdwn too: it shows in notifications and where blocks are not rendered.
    slack: { text: `${escapeMrkdwn(draft.headline)} ${link}`, blocks },
  };
}

/** `<link|label>` with the label escaped; Slack's link syntax cannot be broken out of by the label. */
function slackLink(link: string, label: string): string {
  return `<${link}|${escapeMrkdwn(label)}>`;
}

const STATUS_WORDS: Partial<Record<HistoryType, string>> = {
  approved: 'was approved',
  rejected: 'was rejected',
  cancelled: 'was cancelled',
  moved_back_to_pending: 'was moved back to pending',
  change_applied: 'is applied',
};

function draftOf(
  item: PolicyRequestHistoryItem,
  topic: NotificationTopic,
  summary: RequestSummary,
  link: string,
): Draft {
  const principal = summary.principalArn ?? item.principalArn;
  const ref = `request ${item.requestId}`;
  const linked = slackLink(link, `request ${item.requestId}`);
  const actor = item.actor;
  const base = { topic, requestId: item.requestId };
  const principalFact: [string, string] = ['Principal', principal];
  switch (item.type) {
    case 'created':
      return {
        ...base,
        subject: `New ${ref} for ${principal}`,
        headline: `${summary.requester ?? actor} asks for changes to ${principal} (${ref}).`,
        slackHeadline: `${escapeMrkdwn(summary.requester ?? actor)} asks for changes to \`${escapeMrkdwn(principal)}\` (${linked}).`,
        facts: [principalFact, ['Approvers', (summary.approverGroups ?? []).join(', ')]],
        ...(summary.justification === undefined ? {} : { quote: summary.justification }),
      };
    case 'commented':
      return {
        ...base,
        subject: `${actor} commented on ${ref}`,
        headline: `${actor} commented on ${ref} for ${principal}.`,
        slackHeadline: `${escapeMrkdwn(actor)} commented on ${linked} for \`${escapeMrkdwn(principal)}\`.`,
        facts: [principalFact],
        ...(item.message === undefined ? {} : { quote: item.message }),
      };
    case 'change_failed':
      return {
        ...base,
        subject: `A change of ${ref} failed to apply`,
        headline: `Change ${item.changeId ?? '?'} of ${ref} failed to apply to ${principal}.`,
        slackHeadline: `Change ${escapeMrkdwn(item.changeId ?? '?')} of ${linked} failed to apply to \`${escapeMrkdwn(principal)}\`.`,
        facts: [principalFact, ['Status', item.status]],
        ...(item.message === undefined ? {} : { quote: item.message }),
      };
    case 'change_expired':
      return {
        ...base,
        subject: `A change of ${ref} expired`,
        headline: `Change ${item.changeId ?? '?'} of ${ref} expired and was removed from ${principal}.`,
        slackHeadline: `Change ${escapeMrkdwn(item.changeId ?? '?')} of ${linked} expired and was removed from \`${escapeMrkdwn(principal)}\`.`,
        facts: [principalFact, ['Status', item.status]],
        ...(item.message === undefined ? {} : { quote: item.message }),
      };
    default: {
      const words = STATUS_WORDS[item.type] ?? `changed to ${item.status}`;
      const by = item.type === 'change_applied' ? '' : ` by ${actor}`;
      return {
        ...base,
        subject: `${capitalize(ref)} ${words}`,
        headline: `${capitalize(ref)} for ${principal} ${words}${by}.`,
        slackHeadline: `${capitalize(linked)} for \`${escapeMrkdwn(principal)}\` ${words}${escapeMrkdwn(by)}.`,
        facts: [principalFact, ['Status', item.status]],
      };
    }
  }
}

function capitalize(text: string): string {
  // A Slack link starts with `<`; its label is what reads first.
  if (text.startsWith('<')) return text.replace(/\|(.)/, (_m, c: string) => `|${c.toUpperCase()}`);
  return text.charAt(0).toUpperCase() + text.slice(1);
}

/**
 * The message a history item sends, or undefined when it notifies nobody. It carries only what the item
 * and the summary hold: ids, the principal, people's emails, and the comment, justification or error text.
 */
export function composeNotification(
  item: PolicyRequestHistoryItem,
  options: { publicUrl: string; summary?: RequestSummary },
): ComposedMessage | undefined {
  const topic = topicOf(item);
  if (topic === undefined) return undefined;
  const link = requestLink(options.publicUrl, item.requestId);
  return render(draftOf(item, topic, options.summary ?? {}, link), link);
}

/** The `expiry_soon` reminder for one change. */
export function composeExpiryReminder(
  change: ExpiringChange,
  options: { publicUrl: string; summary?: RequestSummary },
): ComposedMessage {
  const link = requestLink(options.publicUrl, change.requestId);
  const principal = options.summary?.principalArn ?? change.principalArn;
  const ref = `request ${change.requestId}`;
  return render(
    {
      topic: 'expiry_soon',
      requestId: change.requestId,
      subject: `A change of ${ref} expires at ${change.expiresAt}`,
      headline: `Change ${change.changeId} of ${ref} for ${principal} expires at ${change.expiresAt}; it will then be removed.`,
      slackHeadline: `Change ${escapeMrkdwn(change.changeId)} of ${slackLink(link, ref)} for \`${escapeMrkdwn(principal)}\` expires at ${escapeMrkdwn(change.expiresAt)}; it will then be removed.`,
      facts: [
        ['Principal', principal],
        ['Expires', change.expiresAt],
      ],
    },
    link,
  );
}
