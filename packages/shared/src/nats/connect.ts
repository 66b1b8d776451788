import { connect, type NatsConnection } from 'nats';
import type { Logger } from '../log/index.js';

export interface ConnectNatsOptions {
  url: string;
  name: string;
  log: Logger;
}

/** Connects with reconnects forever: a NATS restart pauses the service, it never kills it. */
export async function connectNats({ url, name, log }: ConnectNatsOptions): Promise<NatsConnection> {
  const nc = await connect({
    servers: url.split(','),
    name,
    maxReconnectAttempts: -1,
    reconnectTimeWait: 500,
    waitOnFirstConnect: true,
  });
  void (async () => {
    for await (const status of nc.status()) {
      if (String(status.type) === 'pingTimer') continue;
      log.info(
        { nats: status.type, data: typeof status.data === 'string' ? status.data : undefined },
        'nats status',
      );
    }
  })();
  return nc;
}
