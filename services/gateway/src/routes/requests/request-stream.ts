import type { ServerResponse } from 'node:http';
import { AppError } from '@rolecall/shared/errors';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { Type } from 'typebox';
import type { RequestEventFeed, RequestFeedEvent } from '../../adapters/jetstream-request-feed.js';
import { formatServerSentEvent } from '../../domain/server-sent-events.js';
import { callerOf } from '../credentials/request-context.js';
import type { GatewayApp, RouteDeps } from '../deps.js';
import { ErrorBody } from '../schemas.js';
import { RequestIdParams, refused, requestErrors } from './request-routes.js';

export interface RequestStreamDeps extends RouteDeps {
  feed: RequestEventFeed;
  /** How often a comment line goes out on an idle stream, so proxies and load balancers keep it open. */
  heartbeatMs?: number;
}

/** Under common proxy idle timeouts (nginx 60 s, AWS ALB 60 s). */
const HEARTBEAT_MS = 15_000;
/** A client that reads slower than events come is cut off; it reconnects and reloads what it shows. */
const MAX_BUFFERED_BYTES = 1 << 20;
/** What EventSource waits before reconnecting after the stream ends. */
const RETRY_MS = 3_000;

const streamErrors = { ...requestErrors, 406: ErrorBody } as const;

const EventStream = {
  description:
    'Server-sent events: one message per step, `id:` its sequence in REQUEST_EVENTS and `data:` the history ' +
    'item (PolicyRequestHistoryItem, whose `kind` is created, commented, updated, approved, rejected, ' +
    'cancelled, applied, failed or expired), plus `:` comment lines as a heartbeat. It stays open until the ' +
    'client leaves.',
  content: { 'text/event-stream': { schema: Type.String() } },
};

/**
 * Live request updates for the UI: `GET /api/v3/requests/stream` (every request: the list) and
 * `GET /api/v3/requests/{id}/stream` (one request, authorised as GET of it). Fed by the requests service's
 * events on JetStream. A client that is not an event-stream client (no `Accept: text/event-stream`) is
 * answered 406, so a tool that reads whole responses never hangs on a stream that does not end.
 */
export function registerRequestStreamRoutes(app: GatewayApp, deps: RequestStreamDeps): void {
  const open = new Set<ServerResponse>();
  const heartbeatMs = deps.heartbeatMs ?? HEARTBEAT_MS;

  // Before the server closes: it waits for open connections, and these would never end by themselves.
  app.addHook('preClose', async () => {
    for (const raw of open) raw.end();
    open.clear();
    await deps.feed.close();
  });

  const stream = async (
    request: FastifyRequest,
    reply: FastifyReply,
    accepts: (event: RequestFeedEvent) => boolean,
  ) => {
    const raw = reply.raw;
    // Filled in below; `end` may run before either exists (a client gone at once).
    const held: { heartbeat?: NodeJS.Timeout; unsubscribe?: () => void } = {};
    const end = () => {
      if (held.heartbeat) clearInterval(held.heartbeat);
      held.unsubscribe?.();
      open.delete(raw);
      if (!raw.writableEnded) raw.end();
    };
    const write = (text: string) => {
      if (raw.writableEnded) return;
      raw.write(text);
      if (raw.writableLength > MAX_BUFFERED_BYTES) {
        deps.log.warn({ reqId: request.id }, 'request stream client too slow; closed');
        end();
      }
    };
    // Subscribed before the answer starts: a failure is still a JSON 503, and no event after the 200 is lost.
    held.unsubscribe = await deps.feed.subscribe((event) => {
      if (accepts(event)) {
        // No `event:` field: EventSource's onmessage gets every kind (in the data) without a list of them.
        write(formatServerSentEvent({ id: String(event.seq), data: event.item }));
      }
    });
    reply.hijack();
    raw.writeHead(200, {
      'content-type': 'text/event-stream; charset=utf-8',
      'cache-control': 'no-cache, no-transform',
      connection: 'keep-alive',
      // nginx buffers responses unless told not to.
      'x-accel-buffering': 'no',
    });
    open.add(raw);
    write(`retry: ${RETRY_MS}\n: connected\n\n`);
    held.heartbeat = setInterval(() => write(': heartbeat\n\n'), heartbeatMs);
    request.raw.once('close', end);
    raw.once('close', end);
    // Gone while the subscription was made: no close event will come any more.
    if (request.raw.destroyed || raw.destroyed) end();
  };

  app.get(
    '/api/v3/requests/stream',
    {
      schema: {
        tags: ['policy requests'],
        summary: 'Every step of every request as it happens (server-sent events), for the request list',
        response: { 200: EventStream, ...streamErrors },
      },
    },
    async (request, reply) => {
      requireEventStream(request);
      await stream(request, reply, () => true);
    },
  );

  app.get(
    '/api/v3/requests/:id/stream',
    {
      schema: {
        tags: ['policy requests'],
        summary: "One request's steps as they happen (server-sent events)",
        params: RequestIdParams,
        response: { 200: EventStream, ...streamErrors },
      },
    },
    async (request, reply) => {
      requireEventStream(request);
      const { id } = request.params;
      // Whoever may GET the request may follow it; the same refusal otherwise (404 for an unknown id).
      const found = await deps.requests.get(callerOf(request), id);
      if (found.outcome === 'refused') throw refused(found);
      await stream(request, reply, (event) => event.item.requestId === id);
    },
  );
}

function requireEventStream(request: FastifyRequest): void {
  const accept = request.headers.accept ?? '';
  if (!/(^|,)\s*text\/event-stream\s*(;|,|$)/i.test(accept)) {
    throw new AppError(
      'NOT_ACCEPTABLE',
      'this route streams server-sent events and never ends by itself: send Accept: text/event-stream ' +
        '(EventSource does), or read GET /api/v3/requests/{id}/events for the history so far',
    );
  }
}
