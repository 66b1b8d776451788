import { DeliverPolicy, jetstream, type Consumer, type ConsumerMessages } from '@nats-io/jetstream';
import type { NatsConnection } from '@nats-io/transport-node';
import { requestsEvents, requestsStreams, type PolicyRequestHistoryItem } from '@rolecall/shared/contracts';
import { AppError, isAppError } from '@rolecall/shared/errors';
import type { Logger } from '@rolecall/shared/log';
import { assertNatsConnected, isStreamNotFound, natsUnavailable, readMessage } from '@rolecall/shared/nats';

/** One step of a request as the feed hands it on: the history item and its sequence in REQUEST_EVENTS. */
export interface RequestFeedEvent {
  seq: number;
  item: PolicyRequestHistoryItem;
}

export type RequestFeedListener = (event: RequestFeedEvent) => void;

/**
 * The requests service's events, live, for the gateway's server-sent-event streams. Every listener of one
 * gateway shares a single ordered consumer (no durable state on the server, nothing to clean up when the
 * process dies), opened when the first listener comes and stopped when the last one goes.
 */
export interface RequestEventFeed {
  /**
   * Adds a listener for every event from now on; resolves once the consumer reads the stream, so an
   * event published after it resolves reaches the listener. Returns the function that removes it.
   * NATS down → NATS_UNAVAILABLE; no REQUEST_EVENTS stream yet (no requests service has ever started)
   * → REQUESTS_UNAVAILABLE.
   */
  subscribe(listener: RequestFeedListener): Promise<() => void>;
  /** Stops the consumer and drops every listener (gateway shutdown). */
  close(): Promise<void>;
}

interface Running {
  consumer: Consumer;
  messages: ConsumerMessages;
}

export function createJetStreamRequestFeed(options: { nc: NatsConnection; log: Logger }): RequestEventFeed {
  const { nc, log } = options;
  const listeners = new Set<RequestFeedListener>();
  let running: Promise<Running> | undefined;

  const open = async (): Promise<Running> => {
    const js = jetstream(nc);
    let consumer: Consumer;
    let messages: ConsumerMessages;
    try {
      // No subject filter: the stream holds only requests.policy-request.> (and servers before 2.10 have
      // no filter_subjects).
      consumer = await js.consumers.get(requestsStreams.events.name, { deliver_policy: DeliverPolicy.New });
      messages = await consumer.consume();
    } catch (error) {
      throw feedUnavailable(error);
    }
    void (async () => {
      for await (const msg of messages) {
        let item: PolicyRequestHistoryItem;
        try {
          item = readMessage(requestsEvents.policyRequestHappened, msg).data;
        } catch (error) {
          // The requests service validates before publishing; a bad message is logged and skipped.
          log.warn({ subject: msg.subject, seq: msg.seq, err: error }, 'unreadable request event skipped');
          continue;
        }
        for (const listener of listeners) listener({ seq: msg.seq, item });
      }
    })().catch((error: unknown) => log.warn({ err: error }, 'request event feed stopped'));
    return { consumer, messages };
  };

  const stop = async () => {
    // Cleared before waiting: a listener arriving meanwhile opens a new consumer, not this closing one.
    const pending = running;
    running = undefined;
    const current = await pending?.catch(() => undefined);
    if (!current) return;
    // stop(), not close(): close waits for the iterator to drain, which a server may hold up.
    current.messages.stop();
    // The server would keep an idle ordered consumer for minutes; nobody needs it now.
    await current.consumer.delete().catch(() => undefined);
  };

  return {
    async subscribe(listener) {
      assertNatsConnected(nc, 'following request events');
      running ??= open();
      try {
        await running;
      } catch (error) {
        // The next subscriber tries again: the stream may exist by then.
        running = undefined;
        throw error;
      }
      listeners.add(listener);
      return () => {
        listeners.delete(listener);
        if (listeners.size === 0) void stop();
      };
    },
    async close() {
      listeners.clear();
      await stop();
    },
  };
}

function feedUnavailable(error: unknown): AppError {
  if (isAppError(error)) return error;
  return isStreamNotFound(error)
    ? new AppError(
        'REQUESTS_UNAVAILABLE',
        `the ${requestsStreams.events.name} stream does not exist yet: start the requests service`,
        { cause: error },
      )
    : natsUnavailable('following request events', error);
}
