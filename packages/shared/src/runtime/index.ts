import { isAppError } from '../errors/index.js';
import type { Logger } from '../log/index.js';

/**
 * For a service's main.ts: on the first SIGTERM or SIGINT, run `close` (stop consumers, drain NATS,
 * close clients — in that order, which the caller owns) once, then exit 0, or 1 if closing failed.
 * Also logs, once, which Node.js the process runs on: every service calls this with its own logger.
 */
export function exitOnSignal(options: { log: Logger; close: () => Promise<void> }): void {
  options.log.info({ node: process.versions.node, pid: process.pid }, 'process running');
  let stopping = false;
  const shutdown = async (signal: string) => {
    if (stopping) return;
    stopping = true;
    options.log.info({ signal }, 'shutting down');
    try {
      await options.close();
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
