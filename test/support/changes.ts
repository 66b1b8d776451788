import type { NatsConnection } from '@nats-io/transport-node';
import { AckPolicy, DeliverPolicy, jetstream, jetstreamManager } from '@nats-io/jetstream';
import { cacheEvents, cacheSubjects, type ResourceChange } from '@rolecall/shared/contracts';
import { readMessage } from '@rolecall/shared/nats';

/** Collects every change event published from now on, validated against the contract. */
export async function collectChanges(nc: NatsConnection, filter: string = cacheSubjects.resourceChangedAll) {
  const jsm = await jetstreamManager(nc);
  const stream = cacheEvents.resourceChanged.stream.name;
  const name = `test-${Math.random().toString(36).slice(2)}`;
  await jsm.consumers.add(stream, {
    name,
    ack_policy: AckPolicy.None,
    deliver_policy: DeliverPolicy.New,
    filter_subject: filter,
  });
  const consumer = await jetstream(nc).consumers.get(stream, name);
  const changes: ResourceChange[] = [];
  const messages = await consumer.consume();
  void (async () => {
    for await (const msg of messages) changes.push(readMessage(cacheEvents.resourceChanged, msg).data);
  })();
  return {
    changes,
    forArn: (arn: string) => changes.filter((c) => c.arn === arn),
    async stop() {
      await messages.close();
    },
  };
}
