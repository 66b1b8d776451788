import { jetstreamManager } from '@nats-io/jetstream';
import { connect } from '@nats-io/transport-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { requestsStreams } from '@rolecall/shared/contracts';
import { seedDemoOrganization, type DemoAccount } from '@rolecall/testing';
import { refresh, waitForCrawl } from './support/crawls.js';
import { eventually, startStack, type ServiceProcess, type Stack } from './support/stack.js';

/** Waits until the assertions pass (or times out naming `what` and the last failure). */
async function until(what: string, assertions: () => void | Promise<void>): Promise<void> {
  let last = '';
  await eventually(
    async () => {
      try {
        await assertions();
        return true;
      } catch (error) {
        last = error instanceof Error ? error.message : String(error);
        return undefined;
      }
    },
    () => `${what} (last: ${last})`,
    30_000,
  );
}

const ALICE = { user: 'alice@example.com', groups: ['engineering', 'payments'] };
const ADMIN = { user: 'admin@example.com', groups: ['admins'] };
const CAROL = { user: 'carol@example.com', groups: ['contractors'] };

interface ServerSentEvent {
  id?: string;
  event?: string;
  data: string;
}

/** An open event stream as a browser's EventSource reads it: the events so far, and a way to leave. */
interface OpenStream {
  status: number;
  contentType: string | null;
  events: ServerSentEvent[];
  /** Everything received, comments (heartbeats) included. */
  text(): string;
  ended: Promise<void>;
  close(): void;
}

async function openStream(stack: Stack, path: string, who: { user: string; groups: string[] }) {
  const abort = new AbortController();
  const response = await fetch(`${stack.gatewayUrl}${path}`, {
    headers: {
      accept: 'text/event-stream',
      'x-forwarded-email': who.user,
      'x-forwarded-groups': who.groups.join(','),
    },
    signal: abort.signal,
  });
  const events: ServerSentEvent[] = [];
  let raw = '';
  let buffer = '';
  const reader = response.body?.getReader() as ReadableStreamDefaultReader<Uint8Array> | undefined;
  const decoder = new TextDecoder();
  const ended = (async () => {
    if (!reader) return;
    try {
      for (;;) {
        const { done, value } = await reader.read();
        if (done) return;
        const chunk = decoder.decode(value, { stream: true });
        raw += chunk;
        buffer += chunk;
        let end: number;
        while ((end = buffer.indexOf('\n\n')) >= 0) {
          const block = buffer.slice(0, end);
          buffer = buffer.slice(end + 2);
          const event: ServerSentEvent = { data: '' };
          const data: string[] = [];
          for (const line of block.split('\n')) {
            if (line.startsWith('id: ')) event.id = line.slice(4);
            else if (line.startsWith('event: ')) event.event = line.slice(7);
            else if (line.startsWith('data: ')) data.push(line.slice(6));
          }
          event.data = data.join('\n');
          if (data.length > 0) events.push(event);
        }
      }
    } catch {
      // Aborted by close(): the test left.
    }
  })();
  const stream: OpenStream = {
    status: response.status,
    contentType: response.headers.get('content-type'),
    events,
    text: () => raw,
    ended,
    close: () => abort.abort(),
  };
  return stream;
}

async function orderedConsumerCount(stack: Stack): Promise<number> {
  const nc = await connect({ servers: stack.env.nats.url });
  try {
    const jsm = await jetstreamManager(nc);
    return (await jsm.streams.info(requestsStreams.events.name)).state.consumer_count;
  } finally {
    await nc.close();
  }
}

describe('live request updates over server-sent events, fed by the requests service on JetStream', () => {
  let stack: Stack;
  let gateway: ServiceProcess;
  let account: DemoAccount;

  const askForRead = async (justification: string) => {
    const response = await stack.api('/api/v2/request', {
      method: 'POST',
      ...ALICE,
      body: {
        justification,
        changes: {
          changes: [
            {
              change_type: 'inline_policy',
              action: 'attach',
              principal: {
                principal_type: 'AwsResource',
                principal_arn: `arn:aws:iam::${account.id}:role/support`,
              },
              policy: {
                policy_document: {
                  Version: '2012-10-17',
                  Statement: [
                    {
                      Effect: 'Allow',
                      Action: ['s3:GetObject'],
                      Resource: `arn:aws:s3:::rolecall-demo-${account.id}-assets/*`,
                    },
                  ],
                },
              },
            },
          ],
        },
      },
    });
    expect(response.status).toBe(200);
    return ((await response.json()) as { request_id: string }).request_id;
  };

  beforeAll(async () => {
    stack = await startStack({ services: [] });
    const org = await seedDemoOrganization({ endpointUrl: stack.env.moto.url, region: 'us-east-1' });
    account = org.accounts.find((a) => !a.management) ?? org.accounts[0]!;
    for (const name of ['cache', 'crawler', 'broker', 'requests'] as const) await stack.start(name);
    gateway = await stack.start('gateway').catch((error: unknown) => {
      const output = stack.services.find((s) => s.name === 'gateway')?.output() ?? '';
      throw new Error(`the gateway did not start: ${String(error)}\n${output.slice(-4000)}`);
    });
    const requestedAt = new Date().toISOString();
    await waitForCrawl(stack, await refresh(stack), requestedAt);
  });

  afterAll(async () => {
    await stack?.stop();
  });

  it('refuses a client that does not ask for an event stream with 406 NOT_ACCEPTABLE, not a hang', async () => {
    for (const path of ['/api/v3/requests/stream', '/api/v3/requests/some-id/stream']) {
      const response = await stack.api(path, { ...ALICE });
      expect(response.status).toBe(406);
      expect(await response.json()).toMatchObject({ code: 'NOT_ACCEPTABLE' });
    }
  });

  it('answers a stream of an unknown request as GET of it does: 404 REQUEST_NOT_FOUND', async () => {
    const stream = await openStream(stack, '/api/v3/requests/no-such-request/stream', ALICE);
    expect(stream.status).toBe(404);
    await stream.ended;
    expect(JSON.parse(stream.text())).toMatchObject({ code: 'NOT_FOUND', reason: 'REQUEST_NOT_FOUND' });
  });

  it("delivers each step of a request to the list's stream and to that request's stream, and nothing of others", async () => {
    const list = await openStream(stack, '/api/v3/requests/stream', ADMIN);
    expect(list.status).toBe(200);
    expect(list.contentType).toMatch(/^text\/event-stream/);
    await until('the list stream to open', () => expect(list.text()).toContain(': connected'));

    const id = await askForRead('read the shared assets');
    await until('the created event on the list stream', () =>
      expect(
        list.events.map((e) => {
          const item = JSON.parse(e.data) as { kind: string; requestId: string };
          return [item.kind, item.requestId];
        }),
      ).toContainEqual(['created', id]),
    );

    // Carol may read any request (as GET allows), so she may follow this one.
    const one = await openStream(stack, `/api/v3/requests/${id}/stream`, CAROL);
    expect(one.status).toBe(200);
    await until('the request stream to open', () => expect(one.text()).toContain(': connected'));
    const other = await askForRead('another request, not followed');
    const comment = await stack.api(`/api/v2/requests/${id}`, {
      method: 'PUT',
      ...ADMIN,
      body: { modification_model: { command: 'add_comment', comment_text: 'looking at it\nnow' } },
    });
    expect(comment.status).toBe(200);
    const approve = await stack.api(`/api/v2/requests/${id}`, {
      method: 'PUT',
      ...ADMIN,
      body: { modification_model: { command: 'approve_request' } },
    });
    expect(approve.status).toBe(200);

    await until('the comment, the approval and the apply on the request stream', () =>
      expect(one.events.map((e) => (JSON.parse(e.data) as { kind: string }).kind)).toEqual(
        expect.arrayContaining(['commented', 'approved', 'applied']),
      ),
    );
    const items = one.events.map(
      (e) => JSON.parse(e.data) as { requestId: string; message?: string; type: string },
    );
    expect(items.every((item) => item.requestId === id)).toBe(true);
    expect(items.find((item) => item.type === 'commented')?.message).toBe('looking at it\nnow');
    // Each event's id is its sequence in REQUEST_EVENTS, increasing.
    const ids = one.events.map((e) => Number(e.id));
    expect(ids).toEqual([...ids].sort((a, b) => a - b));
    await until('the other request on the list stream', () =>
      expect(list.events.map((e) => (JSON.parse(e.data) as { requestId: string }).requestId)).toContain(
        other,
      ),
    );
    one.close();
    list.close();
  });

  it("opens one ordered consumer for all of a gateway's streams and removes it when the last client leaves", async () => {
    const before = await orderedConsumerCount(stack);
    const first = await openStream(stack, '/api/v3/requests/stream', ADMIN);
    const second = await openStream(stack, '/api/v3/requests/stream', ALICE);
    await until('both streams to open', () => expect(second.text()).toContain(': connected'));
    expect(await orderedConsumerCount(stack)).toBe(before + 1);
    first.close();
    second.close();
    await until('the ordered consumer to be removed', async () =>
      expect(await orderedConsumerCount(stack)).toBe(before),
    );
  });

  it('ends open streams when the gateway shuts down, so it stops at once instead of waiting for them', async () => {
    const stream = await openStream(stack, '/api/v3/requests/stream', ADMIN);
    await until('the stream to open', () => expect(stream.text()).toContain(': connected'));
    const exited = new Promise<number | null>((resolve) =>
      gateway.child.once('exit', (code) => resolve(code)),
    );
    gateway.child.kill('SIGTERM');
    // A clean stop: exit code 0, not the SIGKILL the stack sends after 10 s.
    expect(await exited).toBe(0);
    await stream.ended;
  });
});
