import { createHash } from 'node:crypto';
import type { Logger } from '@rolecall/shared/log';

/** What a reader has met that it could not use, since it was created. */
export interface CorruptionCounts {
  /** Distinct corrupt entries (a key whose corrupt content changed counts again); each was logged once. */
  entries: number;
  /** Reads that met a corrupt entry and treated it as absent. */
  reads: number;
}

/** Where a corrupt entry is: a Redis key (and hash field), or a table and its row's keys. */
export interface EntryLocation {
  key: string;
  field?: string;
}

export interface CorruptEntryLog {
  /** Counts one read of a corrupt entry; logs it the first time this content is seen under this location. */
  report(location: EntryLocation, content: string | Uint8Array, problem: string): void;
  counts(): CorruptionCounts;
}

/** Locations remembered as already logged; past this the oldest is forgotten (and logged again if met). */
const REMEMBERED = 10_000;

/**
 * Logs each corrupt entry once with where it is and what is wrong, not on every read that passes over
 * it: a listing reads the same corrupt summary on every page request.
 */
export function createCorruptEntryLog(options: { log: Logger; store: string }): CorruptEntryLog {
  const logged = new Map<string, string>();
  let entries = 0;
  let reads = 0;
  return {
    report(location, content, problem) {
      reads += 1;
      const id = location.field === undefined ? location.key : `${location.key}\u0000${location.field}`;
      const fingerprint = createHash('sha256').update(content).digest('base64url');
      if (logged.get(id) === fingerprint) return;
      logged.delete(id);
      if (logged.size >= REMEMBERED) logged.delete(logged.keys().next().value as string);
      logged.set(id, fingerprint);
      entries += 1;
      options.log.warn(
        { store: options.store, ...location, problem },
        'corrupt entry in the cache store; treated as absent',
      );
    },
    counts: () => ({ entries, reads }),
  };
}
