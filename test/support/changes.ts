import { AckPolicy, DeliverPolicy, type NatsConnection } from 'nats';
import { ResourceChanged, type ResourceChange } from '@rolecall/shared/contracts';
import { decode } from '@rolecall/shared/nats';

/** Collects every change event published from now on, validated against the contract. */
export async function collectChanges(nc: NatsConnection, filter = 'cache.resource.changed.>') {
  const jsm = await nc.jetstreamManager();
  const name = `test-${Math.random().toString(36).slice(2)}`;
  await jsm.consumers.add('RESOURCE_CHANGES', {
    name,
    ack_policy: AckPolicy.None,
    deliver_policy: DeliverPolicy.New,
    filter_subject: filter,
  });
  const consumer = await nc.jetstream().consumers.get('RESOURCE_CHANGES', name);
  const changes: ResourceChange[] = [];
  const messages = await consumer.consume();
  void (async () => {
    for await (const msg of messages) changes.push(ResourceChanged.unwrap(decode(msg.data)).data);
  })();
  return {
    changes,
    forArn: (arn: string) => changes.filter((c) => c.arn === arn),
    async stop() {
      await messages.close();
    },
  };
}
