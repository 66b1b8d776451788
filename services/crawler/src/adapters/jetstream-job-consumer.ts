import type { Logger } from '@rolecall/shared/log';
import { STREAMS } from '@rolecall/shared/nats';
import { AckPolicy, type Consumer, type JetStreamClient, type JetStreamManager, type JsMsg } from 'nats';

export const CRAWLER_DURABLE = 'crawler';
const NANOS_PER_SECOND = 1_000_000_000;

export type JobHandler = (msg: JsMsg, signal: AbortSignal) => Promise<void>;

export interface JobConsumer {
  start(): Promise<void>;
  /** Stops pulling, abandons running jobs (their handler puts them back) and waits for the workers. */
  stop(): Promise<void>;
}

/**
 * One durable pull consumer shared by every crawler process; each process runs `concurrency` workers
 * that each pull one job at a time, so no process holds more jobs than it is running.
 */
export function createJobConsumer(options: {
  js: JetStreamClient;
  jsm: JetStreamManager;
  concurrency: number;
  ackWaitSeconds: number;
  handle: JobHandler;
  log: Logger;
  pullExpiresMs?: number;
}): JobConsumer {
  const abort = new AbortController();
  let workers: Promise<void>[] = [];
  const expires = options.pullExpiresMs ?? 2000;

  const ensureConsumer = async () => {
    const config = {
      durable_name: CRAWLER_DURABLE,
      ack_policy: AckPolicy.Explicit,
      ack_wait: options.ackWaitSeconds * NANOS_PER_SECOND,
      filter_subject: STREAMS.crawlJobs.subjects[0],
    };
    try {
      await options.jsm.consumers.add(STREAMS.crawlJobs.name, config);
    } catch (error) {
      // Another process created it first, perhaps with an older ack_wait: bring it to this config.
      if (!/already exists|already in use/i.test(String((error as Error).message))) throw error;
      await options.jsm.consumers.update(STREAMS.crawlJobs.name, CRAWLER_DURABLE, {
        ack_wait: config.ack_wait,
      });
    }
  };

  const work = async (consumer: Consumer, worker: number) => {
    while (!abort.signal.aborted) {
      let msg: JsMsg | null;
      try {
        msg = await consumer.next({ expires });
      } catch (error) {
        if (abort.signal.aborted) return;
        options.log.warn({ err: error, worker }, 'pulling a crawl job failed; retrying');
        await new Promise((r) => setTimeout(r, 1000));
        continue;
      }
      if (!msg) continue;
      if (abort.signal.aborted) {
        msg.nak();
        return;
      }
      await options.handle(msg, abort.signal);
    }
  };

  return {
    async start() {
      await ensureConsumer();
      const consumer = await options.js.consumers.get(STREAMS.crawlJobs.name, CRAWLER_DURABLE);
      workers = Array.from({ length: options.concurrency }, (_, i) => work(consumer, i));
    },
    async stop() {
      abort.abort();
      await Promise.all(workers);
    },
  };
}
