import { isAppError } from '../errors/index.js';
import type { Logger } from '../log/index.js';

/**
 * What every service's build function returns: main.ts calls `start` once its clients are up, and on a
 * signal `stop` (stop taking work, let what is in flight finish or go back), before NATS is drained.
 * Connections stay the caller's.
 */
export interface RunningService {
  start(): Promise<void>;
  stop(): Promise<void>;
}

/**
 * For a service's main.ts: on the first SIGTERM or SIGINT, shut down gracefully once, in the order every
 * service keeps: `stop` (consumers, endpoints, the HTTP server), then drain NATS (what is in flight is
 * published and acked), then `close` the other clients (Redis, AWS). Exits 0, or 1 if any step failed.
 * Also logs, once, which Node.js the process runs on: every service calls this with its own logger.
 */
export function exitOnSignal(options: {
  log: Logger;
  stop: () => Promise<void>;
  nc: { drain(): Promise<void> };
  close?: () => Promise<unknown> | void;
}): void {
  options.log.info({ node: process.versions.node, pid: process.pid }, 'process running');
  let stopping = false;
  const shutdown = async (signal: string) => {
    if (stopping) return;
    stopping = true;
    options.log.info({ signal }, 'shutting down');
    try {
      await options.stop();
      await options.nc.drain();
      await options.close?.();
      process.exit(0);
    } catch (error) {
      options.log.error({ err: error }, 'unclean shutdown');
      process.exit(1);
    }
  };
  process.once('SIGTERM', () => void shutdown('SIGTERM'));
  process.once('SIGINT', () => void shutdown('SIGINT'));
}

/**
 * Runs a service's main function; a failure to start is printed and exits 1. An AppError (such as
 * INVALID_CONFIG, which lists every problem one per line) is printed as its message, anything else
 * with its stack.
 */
export function runMain(service: string, main: () => Promise<void>): void {
  main().catch((error: unknown) => {
    const detail = isAppError(error)
      ? error.message
      : error instanceof Error
        ? (error.stack ?? error.message)
        : String(error);
    process.stderr.write(`${service} failed to start: ${detail}\n`);
    process.exit(1);
  });
}
