#!/usr/bin/env node
// Prints every resource change Rolecall's cache publishes, as it happens.
//
//   node examples/print-changes.mjs                     # every type, every account
//   node examples/print-changes.mjs iam_role             # only roles
//   node examples/print-changes.mjs iam_role 111122223333
//   DURABLE=my-app node examples/print-changes.mjs       # resume where my-app left off, ack each change
//
// It reads NATS_URL (default nats://127.0.0.1:4222; after `npm run demo`: set -a; . .rolecall/demo.env; set +a).
// Changes are kept in the JetStream stream RESOURCE_CHANGES. Without DURABLE the consumer starts with
// new changes and is removed a minute after this program stops; with DURABLE it is kept, and a restart
// goes on from the first change not yet acknowledged, so nothing is missed while the program is down.

import { AckPolicy, DeliverPolicy, jetstream, jetstreamManager } from '@nats-io/jetstream';
import { connect, nanos } from '@nats-io/transport-node';

const [itemType = '*', accountId = '*'] = process.argv.slice(2);
const subject = `cache.resource.changed.${itemType}.${accountId}`;
const durable = process.env.DURABLE;
const nc = await connect({ servers: process.env.NATS_URL ?? 'nats://127.0.0.1:4222' });
const jsm = await jetstreamManager(nc);

const info = await jsm.consumers.add('RESOURCE_CHANGES', {
  ...(durable ? { durable_name: durable } : { inactive_threshold: nanos(60_000) }),
  ack_policy: durable ? AckPolicy.Explicit : AckPolicy.None,
  deliver_policy: durable ? DeliverPolicy.All : DeliverPolicy.New,
  filter_subject: subject,
});
const consumer = await jetstream(nc).consumers.get('RESOURCE_CHANGES', info.name);
const messages = await consumer.consume();
console.log(`listening on ${subject}${durable ? ` as durable consumer ${durable}` : ''} (Ctrl-C to stop)`);
process.once('SIGINT', () => void messages.close().then(() => nc.drain()));

const BOOKKEEPING = new Set(['lastSeenAt', 'lastCrawlId', 'lastJobId', 'contentHash']);
for await (const msg of messages) {
  const { occurredAt, data } = msg.json();
  const { change, arn, before, after } = data;
  const changed =
    change === 'updated'
      ? Object.keys({ ...before, ...after }).filter(
          (key) => !BOOKKEEPING.has(key) && JSON.stringify(before?.[key]) !== JSON.stringify(after?.[key]),
        )
      : [];
  console.log(
    `${occurredAt} ${change.padEnd(7)} ${arn}${changed.length ? `  (${changed.join(', ')} changed)` : ''}`,
  );
  if (durable) msg.ack();
}
