import { connect, type NatsConnection } from 'nats';
import type { Logger } from '../log/index.js';
import { trackNatsConnection } from './connection-state.js';

export interface ConnectNatsOptions {
  url: string;
  name: string;
  log: Logger;
}

/**
 * Connects with reconnects forever: a NATS restart pauses the service, it never kills it. While it is
 * disconnected, requests and publishes through `@rolecall/shared/nats` fail at once with NATS_UNAVAILABLE.
 */
export async function connectNats({ url, name, log }: ConnectNatsOptions): Promise<NatsConnection> {
  const nc = await connect({
    servers: url.split(','),
    name,
    maxReconnectAttempts: -1,
    reconnectTimeWait: 500,
    waitOnFirstConnect: true,
  });
  const state = trackNatsConnection(nc);
  void (async () => {
    for await (const status of nc.status()) {
      const type = String(status.type);
      if (type === 'pingTimer') continue;
      if (type === 'disconnect') {
        state.connected = false;
        state.epoch += 1;
      } else if (type === 'reconnect') state.connected = true;
      log.info(
        { nats: status.type, data: typeof status.data === 'string' ? status.data : undefined },
        'nats status',
      );
    }
  })();
  return nc;
}
