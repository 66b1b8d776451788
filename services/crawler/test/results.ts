import type { ConsumerMessages, JetStreamClient } from '@nats-io/jetstream';
import { decode, STREAMS } from '@rolecall/shared/nats';
import type { EnvelopeOf } from '@rolecall/shared/contracts';

export interface ResultMessage {
  subject: string;
  seq: number;
  envelope: EnvelopeOf<Record<string, unknown>>;
}

/** Reads CRAWL_RESULTS from the start with an ordered consumer, as the cache service would see it. */
export async function collectResults(js: JetStreamClient) {
  const messages: ResultMessage[] = [];
  const consumer = await js.consumers.get(STREAMS.crawlResults.name);
  const iterator: ConsumerMessages = await consumer.consume();
  const done = (async () => {
    for await (const msg of iterator) {
      messages.push({
        subject: msg.subject,
        seq: msg.seq,
        envelope: decode(msg.data) as EnvelopeOf<Record<string, unknown>>,
      });
    }
  })();
  return {
    messages,
    byType: (type: string) => messages.filter((m) => m.envelope.type === type),
    async waitFor(condition: () => boolean, what: string, timeoutMs = 90_000) {
      const deadline = Date.now() + timeoutMs;
      while (!condition()) {
        if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
        await new Promise((r) => setTimeout(r, 100));
      }
    },
    async stop() {
      await iterator.close();
      await done;
    },
  };
}

/** A pino destination that keeps parsed log lines for assertions. */
export function logLines() {
  const lines: Record<string, unknown>[] = [];
  return {
    lines,
    destination: {
      write(chunk: string) {
        for (const line of chunk.split('\n'))
          if (line.trim()) lines.push(JSON.parse(line) as Record<string, unknown>);
        return true;
      },
    } as unknown as NodeJS.WritableStream,
  };
}
