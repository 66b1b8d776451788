import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Counter, Gauge, Histogram, collectDefaultMetrics, register, type Registry } from 'prom-client';
import type { RolecallConfig } from '../config/index.js';
import type { Logger } from '../log/index.js';

/**
 * Rolecall's Prometheus metrics. Every metric lives in prom-client's default registry and is made on
 * first use, so any module can count without wiring, and a process that runs several services (some
 * tests do) shares one counter instead of failing on a duplicate name. Label values are bounded: routes
 * are Fastify's route patterns, subjects the catalogue's, accounts and crawl types the inventory's.
 */

function once<M>(name: string, make: () => M): M {
  return (register.getSingleMetric(name) as M | undefined) ?? make();
}

/** Latency buckets in seconds, from a cached read (1 ms) to a slow AWS write (10 s). */
const LATENCY_BUCKETS = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];

const counter = <L extends string>(name: string, help: string, labelNames: readonly L[]) =>
  once(name, () => new Counter({ name, help, labelNames }));
const gauge = <L extends string>(name: string, help: string, labelNames: readonly L[]) =>
  once(name, () => new Gauge({ name, help, labelNames }));
const histogram = <L extends string>(
  name: string,
  help: string,
  labelNames: readonly L[],
  buckets: number[] = LATENCY_BUCKETS,
) => once(name, () => new Histogram({ name, help, labelNames, buckets }));

export const metrics = {
  get httpRequests() {
    return counter(
      'rolecall_http_requests_total',
      'HTTP requests answered, by route pattern, method and status code',
      ['route', 'method', 'status'],
    );
  },
  get httpDuration() {
    return histogram(
      'rolecall_http_request_duration_seconds',
      'Time to answer an HTTP request, by route pattern and method',
      ['route', 'method'],
    );
  },
  /** NATS request/reply operations: `side` client (the caller) or server (the service answering). */
  get natsOperations() {
    return counter(
      'rolecall_nats_operations_total',
      'NATS request/reply operations, by subject, side (client or server) and outcome (ok or an error code)',
      ['subject', 'side', 'outcome'],
    );
  },
  get natsDuration() {
    return histogram(
      'rolecall_nats_operation_duration_seconds',
      'Time of a NATS request/reply operation, by subject and side',
      ['subject', 'side'],
    );
  },
  get crawlDuration() {
    return histogram(
      'rolecall_crawl_duration_seconds',
      'Time to crawl one account for one crawl type, by account, type and outcome',
      ['account', 'type', 'outcome'],
      [0.1, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300, 600, 1800],
    );
  },
  get crawlItems() {
    return gauge('rolecall_crawl_items', 'Items the last complete crawl of an account and type found', [
      'account',
      'type',
    ]);
  },
  get credentialIssuances() {
    return counter(
      'rolecall_credential_issuances_total',
      'Credential and console sign-in requests the broker decided, by channel, outcome (issued, failed, refused, audit_unavailable) and the refusal or failure reason',
      ['channel', 'outcome', 'reason'],
    );
  },
  get notificationFailures() {
    return counter(
      'rolecall_notification_failures_total',
      'Notifications that failed after their retries, by channel',
      ['channel'],
    );
  },
  get consumerPending() {
    return gauge(
      'rolecall_jetstream_consumer_pending',
      'Messages of a stream a durable consumer has not yet been delivered (its lag), read at scrape',
      ['stream', 'consumer'],
    );
  },
};

/** Measures a call into a histogram and a counter, the outcome being `ok` or the error's code. */
export async function timed<T>(
  record: (seconds: number, outcome: string) => void,
  run: () => Promise<T>,
): Promise<T> {
  const start = performance.now();
  try {
    const result = await run();
    record((performance.now() - start) / 1000, 'ok');
    return result;
  } catch (error) {
    record((performance.now() - start) / 1000, outcomeOf(error));
    throw error;
  }
}

/** An error's stable code (AppError and AWS errors carry one), or `error`. */
export function outcomeOf(error: unknown): string {
  if (error && typeof error === 'object' && 'code' in error && typeof error.code === 'string') {
    return error.code;
  }
  return 'error';
}

/** Something read at scrape time, such as consumer lag: called before every `/metrics` answer. */
export type ScrapeHook = () => Promise<void>;
const scrapeHooks = new Set<ScrapeHook>();
/** Registers a hook to run at every scrape; returns its removal. */
export function onScrape(hook: ScrapeHook): () => void {
  scrapeHooks.add(hook);
  return () => scrapeHooks.delete(hook);
}

let defaultsCollected = false;

export interface MetricsServer {
  /** The port it listens on (useful with port 0). */
  port: number;
  close(): Promise<void>;
}

/**
 * Serves `GET /metrics` (Prometheus text format) on the service's own metrics port, apart from any
 * public port, so metrics are reachable only where the operator exposes them. Also starts Node's
 * default process metrics (CPU, memory, event-loop lag), labelled with the service.
 */
export async function startMetricsServer(options: {
  service: string;
  host: string;
  port: number;
  log: Logger;
  registry?: Registry;
}): Promise<MetricsServer> {
  const registry = options.registry ?? register;
  if (!defaultsCollected) {
    registry.setDefaultLabels({ service: options.service });
    collectDefaultMetrics({ register: registry, prefix: 'rolecall_' });
    defaultsCollected = true;
  }
  const server: Server = createServer((req, res) => {
    if (req.method !== 'GET' || (req.url ?? '').split('?')[0] !== '/metrics') {
      res.writeHead(404, { 'content-type': 'text/plain' }).end('only GET /metrics is served here\n');
      return;
    }
    void (async () => {
      // A hook that fails (NATS down while reading consumer lag) leaves its gauge as it was: the
      // scrape still answers, and the other metrics are current.
      await Promise.allSettled([...scrapeHooks].map((hook) => hook()));
      const body = await registry.metrics();
      res.writeHead(200, { 'content-type': registry.contentType }).end(body);
    })().catch((error: unknown) => {
      options.log.error({ err: error }, 'metrics scrape failed');
      if (!res.headersSent) res.writeHead(500).end();
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port, options.host, () => resolve());
  });
  const { port } = server.address() as AddressInfo;
  options.log.info({ host: options.host, port }, 'metrics at /metrics');
  return {
    port,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

type ServiceName = keyof RolecallConfig['metrics']['ports'];

/**
 * For a service's main.ts: serves its metrics on `metrics.ports.<service>` when that is set. The server
 * goes into the service's shutdown with `close`; undefined when the port is not configured.
 */
export async function startServiceMetrics(
  config: Pick<RolecallConfig, 'metrics'>,
  service: ServiceName,
  log: Logger,
): Promise<MetricsServer | undefined> {
  const port = config.metrics.ports[service];
  if (port === undefined) return undefined;
  return startMetricsServer({ service, host: config.metrics.host, port, log });
}
