#!/usr/bin/env node
// Prints every resource change Rolecall's cache publishes, as it happens.
//
//   node examples/print-changes.mjs                    # every type, every account
//   node examples/print-changes.mjs iam_role            # only roles
//   node examples/print-changes.mjs iam_role 111122223333
//
// It reads NATS_URL (default nats://127.0.0.1:4222; `source .rolecall/demo.env` after `npm run demo`).
// Changes are kept in the RESOURCE_CHANGES stream; this subscriber uses an ordered consumer that
// starts with new messages. A program that must not miss any creates a durable consumer instead
// (see the README, "Subscribing to changes").
import { connect, DeliverPolicy, JSONCodec } from 'nats';

const [itemType = '*', accountId = '*'] = process.argv.slice(2);
const subject = `cache.resource.changed.${itemType}.${accountId}`;
const nc = await connect({ servers: process.env.NATS_URL ?? 'nats://127.0.0.1:4222' });
const js = nc.jetstream();
const codec = JSONCodec();

const consumer = await js.consumers.get('RESOURCE_CHANGES', {
  filterSubjects: [subject],
  deliver_policy: DeliverPolicy.New,
});
console.log(`listening on ${subject} (Ctrl-C to stop)`);
process.once('SIGINT', () => void nc.drain());

for await (const msg of await consumer.consume()) {
  const { occurredAt, data } = codec.decode(msg.data);
  const { change, arn, before, after } = data;
  const changed =
    change === 'updated'
      ? Object.keys({ ...before, ...after }).filter(
          (key) =>
            !['lastSeenAt', 'lastCrawlId', 'lastJobId', 'contentHash'].includes(key) &&
            JSON.stringify(before?.[key]) !== JSON.stringify(after?.[key]),
        )
      : [];
  console.log(`${occurredAt} ${change.padEnd(7)} ${arn}${changed.length ? `  (${changed.join(', ')})` : ''}`);
}
