import type { CredentialAuditEvent } from '@rolecall/shared/contracts';
import type { AuditStore } from '../domain/ports.js';

/** How long the first record of a batch waits for others (and for its own completion) before it is written. */
export const DEFAULT_AUDIT_BATCH_WINDOW_MS = 50;
/** Distinct records that end a batch at once: one BatchWriteItem's worth. */
export const DEFAULT_AUDIT_BATCH_SIZE = 25;

interface Entry {
  event: CredentialAuditEvent;
  /** Every delivery this record answers: an intent and its completion share one entry. */
  waiters: { resolve: () => void; reject: (error: unknown) => void }[];
}

export interface PersistAuditEvents {
  /** Resolves once the event's record is in the table (so its message may be acknowledged). */
  (event: CredentialAuditEvent): Promise<void>;
  /** Writes what is gathered now, without waiting for the window. */
  flush(): Promise<void>;
}

/**
 * Audit events from JetStream into DynamoDB, gathered into batches. An issuance publishes two events,
 * its intent (`pending`) and, a few milliseconds later, its completion, and each used to be one PutItem
 * written while the next issuance's STS call ran. Gathered for a short window, an intent whose completion
 * arrives in the same batch is not written at all (the completion replaces it anyway), and completions go
 * out 25 to a BatchWriteItem. The guarantee is unchanged: the record is durable in JetStream before
 * credentials leave, and each message is acknowledged only once its record is in the table. An intent
 * still alone when the batch closes is written on its own with its condition (an intent never replaces
 * its completion), and a redelivery writes the same item again.
 */
export function createPersistAuditEventHandler(options: {
  store: AuditStore;
  windowMs?: number;
  batchSize?: number;
}): PersistAuditEvents {
  const { store } = options;
  const windowMs = options.windowMs ?? DEFAULT_AUDIT_BATCH_WINDOW_MS;
  const batchSize = options.batchSize ?? DEFAULT_AUDIT_BATCH_SIZE;
  let gathering = new Map<string, Entry>();
  let timer: NodeJS.Timeout | undefined;

  const settle = (entries: Entry[], written: Promise<void>) =>
    written.then(
      () => entries.forEach((entry) => entry.waiters.forEach((waiter) => waiter.resolve())),
      (error: unknown) => entries.forEach((entry) => entry.waiters.forEach((waiter) => waiter.reject(error))),
    );

  const flush = async (): Promise<void> => {
    clearTimeout(timer);
    timer = undefined;
    const batch = [...gathering.values()];
    gathering = new Map();
    if (batch.length === 0) return;
    const final = batch.filter((entry) => entry.event.outcome !== 'pending');
    const intents = batch.filter((entry) => entry.event.outcome === 'pending');
    await Promise.all([
      final.length > 0 ? settle(final, store.putFinal(final.map((entry) => entry.event))) : undefined,
      // Each intent alone settles alone: one that fails must not fail the others' messages.
      ...intents.map((entry) => settle([entry], store.put(entry.event))),
    ]);
  };

  const persist = (event: CredentialAuditEvent): Promise<void> =>
    new Promise<void>((resolve, reject) => {
      const entry = gathering.get(event.id);
      if (entry) {
        // A completion replaces its intent; an intent redelivered after its completion changes nothing.
        if (event.outcome !== 'pending') entry.event = event;
        entry.waiters.push({ resolve, reject });
      } else {
        gathering.set(event.id, { event, waiters: [{ resolve, reject }] });
      }
      if (gathering.size >= batchSize) void flush();
      else timer ??= setTimeout(() => void flush(), windowMs);
    });

  return Object.assign(persist, { flush });
}
