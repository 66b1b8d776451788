import { connect, type NatsConnection } from '@nats-io/transport-node';
import type { Logger } from '../log/index.js';
import { trackNatsConnection } from './connection-state.js';

export interface ConnectNatsOptions {
  /** `nats.url`: one server, a comma-separated string of them, or a list (the nodes of one cluster). */
  url: string | readonly string[];
  name: string;
  log: Logger;
}

/**
 * The servers of `nats.url`, trimmed, empty entries dropped. The client learns the rest of a cluster from
 * the server it reaches, but listing every node lets a service start while any one of them is down.
 */
export function natsServers(url: string | readonly string[]): string[] {
  const entries = typeof url === 'string' ? url.split(',') : url.flatMap((u) => u.split(','));
  return entries.map((u) => u.trim()).filter((u) => u.length > 0);
}

/**
 * Connects with reconnects forever: a NATS restart pauses the service, it never kills it. While it is
 * disconnected, requests and publishes through `@rolecall/shared/nats` fail at once with NATS_UNAVAILABLE.
 */
export async function connectNats({ url, name, log }: ConnectNatsOptions): Promise<NatsConnection> {
  const nc = await connect({
    servers: natsServers(url),
    name,
    maxReconnectAttempts: -1,
    reconnectTimeWait: 500,
    waitOnFirstConnect: true,
  });
  const state = trackNatsConnection(nc);
  void (async () => {
    for await (const status of nc.status()) {
      const type = status.type;
      if (type === 'ping') continue;
      if (type === 'disconnect') {
        state.connected = false;
        state.epoch += 1;
      } else if (type === 'reconnect') state.connected = true;
      log.info({ nats: status.type, data: 'server' in status ? status.server : undefined }, 'nats status');
    }
  })();
  return nc;
}
