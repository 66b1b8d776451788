import { once } from 'node:events';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { NotificationRouting, PolicyRequestHistoryItem } from '@rolecall/shared/contracts';
import { capturedLogger } from '@rolecall/shared/log';
import { freePort } from '@rolecall/testing';
import { SMTPServer, type SMTPServerAddress } from 'smtp-server';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { createNotifier, type RecipientsLookup } from '../src/notifications/index.js';

/** The part of the webhook URL that is the secret. */
const SECRET_PATH = '/services/T0000/B0000/XXXXSECRETXXXX';
const PUBLIC_URL = 'https://rolecall.example.com/';
const LINK = 'https://rolecall.example.com/requests/req-1';
const ROUTING: NotificationRouting = {
  created: ['slack', 'email'],
  commented: ['slack', 'email'],
  status_changed: ['slack', 'email'],
};
const RECIPIENTS: RecipientsLookup = {
  recipientsOf: () =>
    Promise.resolve({ requester: 'alice@example.com', approvers: ['carol@example.com', 'bob@example.com'] }),
};
/** Short waits between tries: the test is about the tries, not their timing. */
const FAST_RETRIES = [20, 40];

const created: PolicyRequestHistoryItem = {
  requestId: 'req-1',
  kind: 'created',
  type: 'created',
  actor: 'alice@example.com',
  at: '2025-06-01T12:00:00.000Z',
  version: 1,
  status: 'pending',
  principalArn: 'arn:aws:iam::111111111111:role/app',
};

/** A Slack stand-in: records each JSON body and answers with the next scripted status (then 200). */
class WebhookReceiver {
  readonly bodies: unknown[] = [];
  readonly paths: string[] = [];
  statuses: number[] = [];
  private readonly server: Server = createServer((req, res) => void this.handle(req, res));

  async start(): Promise<string> {
    this.server.listen(0, '127.0.0.1');
    await once(this.server, 'listening');
    const { port } = this.server.address() as AddressInfo;
    return `http://127.0.0.1:${port}${SECRET_PATH}`;
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    this.paths.push(req.url ?? '');
    this.bodies.push(JSON.parse(Buffer.concat(chunks).toString('utf8')));
    const status = this.statuses.shift() ?? 200;
    res.writeHead(status, { 'content-type': 'text/plain' }).end(status === 200 ? 'ok' : 'internal_error');
  }

  async stop(): Promise<void> {
    this.server.closeAllConnections();
    await new Promise<void>((done) => this.server.close(() => done()));
  }
}

interface ReceivedMail {
  envelopeTo: string[];
  /** Who logged in for it; absent: nobody. */
  user?: string;
  headers: Record<string, string>;
  text: string;
}

/** Splits a raw RFC 5322 message into unfolded headers and a body decoded from quoted-printable. */
function parseMail(raw: string): { headers: Record<string, string>; text: string } {
  const split = raw.indexOf('\r\n\r\n');
  const head = raw.slice(0, split).replace(/\r\n[ \t]+/g, ' ');
  const headers: Record<string, string> = {};
  for (const line of head.split('\r\n')) {
    const colon = line.indexOf(':');
    headers[line.slice(0, colon).toLowerCase()] = line.slice(colon + 1).trim();
  }
  let body = raw.slice(split + 4);
  if (/quoted-printable/i.test(headers['content-transfer-encoding'] ?? '')) {
    body = Buffer.from(
      body
        .replace(/=\r\n/g, '')
        .replace(/=([0-9A-F]{2})/g, (_m, hex: string) => String.fromCharCode(parseInt(hex, 16))),
      'latin1',
    ).toString('utf8');
  }
  return { headers, text: body.replace(/\r\n/g, '\n') };
}

async function startSmtp(mails: ReceivedMail[]): Promise<{ server: SMTPServer; port: number }> {
  const server = new SMTPServer({
    authOptional: true,
    // Plain SMTP on loopback: the server's built-in certificate is self-signed.
    disabledCommands: ['STARTTLS'],
    // Plain-text AUTH is refused without TLS unless allowed; loopback only.
    allowInsecureAuth: true,
    logger: false,
    onAuth(auth, _session, callback) {
      if (auth.username === 'rolecall' && auth.password === 'smtp-pass-1234')
        callback(null, { user: auth.username });
      else callback(new Error('invalid login'));
    },
    onData(stream, session, callback) {
      const chunks: Buffer[] = [];
      stream.on('data', (chunk: Buffer) => chunks.push(chunk));
      stream.on('end', () => {
        mails.push({
          envelopeTo: session.envelope.rcptTo.map((a: SMTPServerAddress) => a.address),
          ...(typeof session.user === 'string' ? { user: session.user } : {}),
          ...parseMail(Buffer.concat(chunks).toString('utf8')),
        });
        callback();
      });
    },
  });
  server.listen(0, '127.0.0.1');
  await once(server.server, 'listening');
  return { server, port: (server.server.address() as AddressInfo).port };
}

describe('notifications through a real webhook receiver and SMTP server', () => {
  const receiver = new WebhookReceiver();
  const mails: ReceivedMail[] = [];
  let webhookUrl: string;
  let smtp: { server: SMTPServer; port: number };

  beforeAll(async () => {
    webhookUrl = await receiver.start();
    smtp = await startSmtp(mails);
  });
  afterEach(() => {
    receiver.bodies.length = 0;
    receiver.paths.length = 0;
    receiver.statuses = [];
    mails.length = 0;
  });
  afterAll(async () => {
    await receiver.stop();
    await new Promise<void>((done) => smtp.server.close(() => done()));
  });

  function notifier(
    options: { webhookUrl?: string; smtpPort?: number; login?: { user: string; password: string } } = {},
  ) {
    const { log, lines } = capturedLogger({ level: 'debug' });
    const instance = createNotifier({
      routing: () => ROUTING,
      slack: { webhookUrl: options.webhookUrl ?? webhookUrl },
      smtp: {
        host: '127.0.0.1',
        port: options.smtpPort ?? smtp.port,
        secure: false,
        from: 'Rolecall <rolecall@example.com>',
        ...options.login,
      },
      publicUrl: PUBLIC_URL,
      recipients: RECIPIENTS,
      log,
      retryDelaysMs: FAST_RETRIES,
    });
    return { instance, lines };
  }

  it('posts a new request to the webhook and mails its approvers, both with the request link', async () => {
    const { instance } = notifier();
    await instance.notify(created, {
      requester: 'alice@example.com',
      approverGroups: ['prod-approvers'],
      justification: 'Read the reports bucket',
    });
    instance.close();

    expect(receiver.paths).toEqual([SECRET_PATH]);
    const body = receiver.bodies[0] as { text: string; blocks: { type: string }[] };
    expect(body.text).toContain(LINK);
    expect(JSON.stringify(body.blocks)).toContain(`<${LINK}|request req-1>`);

    expect(mails).toHaveLength(1);
    const [mail] = mails;
    expect(mail!.envelopeTo).toEqual(['carol@example.com', 'bob@example.com']);
    expect(mail!.headers.to).toBe('carol@example.com, bob@example.com');
    expect(mail!.headers.from).toBe('Rolecall <rolecall@example.com>');
    expect(mail!.headers.subject).toBe('[Rolecall] New request req-1 for arn:aws:iam::111111111111:role/app');
    expect(mail!.text).toContain('alice@example.com asks for changes to arn:aws:iam::111111111111:role/app');
    expect(mail!.text).toContain('> Read the reports bucket');
    expect(mail!.text).toContain(`Open the request: ${LINK}`);
  });

  it('mails a comment to the requester and the other approver', async () => {
    const { instance } = notifier();
    await instance.notify({
      ...created,
      kind: 'commented',
      type: 'commented',
      actor: 'bob@example.com',
      message: 'Why prod?',
    });
    instance.close();
    expect(mails.map((m) => m.envelopeTo)).toEqual([['alice@example.com', 'carol@example.com']]);
    expect(mails[0]!.text).toContain('> Why prod?');
  });

  it('logs in to the SMTP server when a user is configured, and a refused login is logged without the password', async () => {
    const good = notifier({ login: { user: 'rolecall', password: 'smtp-pass-1234' } });
    await good.instance.notify(created);
    good.instance.close();
    expect(mails.map((m) => m.user)).toEqual(['rolecall']);

    const bad = notifier({ login: { user: 'rolecall', password: 'wrong-pass-5678' } });
    await expect(bad.instance.notify(created)).resolves.toBeUndefined();
    bad.instance.close();
    expect(mails).toHaveLength(1);
    const refused = bad.lines.filter((l) => l.channel === 'email' && l.level === 50);
    expect(refused).toMatchObject([{ attempt: 1, error: { code: 'UPSTREAM_FAILED', retryable: false } }]);
    expect(JSON.stringify(bad.lines)).not.toContain('wrong-pass-5678');
  });

  it('delivers on the third try to a receiver that answers 500 twice, and the caller never sees a failure', async () => {
    receiver.statuses = [500, 500];
    const { instance, lines } = notifier();
    await expect(instance.notify(created)).resolves.toBeUndefined();
    instance.close();

    expect(receiver.bodies).toHaveLength(3);
    expect(receiver.bodies[2]).toEqual(receiver.bodies[0]);
    const slackLines = lines.filter((l) => l.channel === 'slack');
    expect(slackLines.map((l) => [l.level, l.attempt])).toEqual([
      [40, 1],
      [40, 2],
      [30, 3],
    ]);
    expect(slackLines[0]).toMatchObject({
      error: { code: 'UPSTREAM_FAILED', message: expect.stringContaining('answered 500') as unknown },
    });
    expect(mails).toHaveLength(1);
  });

  it('logs a dead webhook and a dead SMTP server by host, never the webhook URL, and resolves', async () => {
    const deadPort = await freePort();
    const deadWebhook = `http://127.0.0.1:${deadPort}${SECRET_PATH}`;
    const { instance, lines } = notifier({ webhookUrl: deadWebhook, smtpPort: deadPort });
    await expect(instance.notify(created)).resolves.toBeUndefined();
    instance.close();

    const given = lines.filter((l) => l.level === 50);
    expect(given.map((l) => l.channel).sort()).toEqual(['email', 'slack']);
    expect(given.find((l) => l.channel === 'slack')).toMatchObject({
      host: `127.0.0.1:${deadPort}`,
      attempt: 3,
      policyRequestId: 'req-1',
      error: { code: 'UPSTREAM_UNAVAILABLE', retryable: true },
    });
    expect(given.find((l) => l.channel === 'email')).toMatchObject({
      attempt: 3,
      host: `127.0.0.1:${deadPort}`,
    });
    const written = JSON.stringify(lines);
    expect(written).not.toContain('XXXXSECRETXXXX');
    expect(written).not.toContain('/services/');
  });
});
