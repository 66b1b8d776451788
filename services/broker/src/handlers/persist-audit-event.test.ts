import type { CredentialAuditEvent } from '@rolecall/shared/contracts';
import { describe, expect, it } from 'vitest';
import type { AuditStore } from '../domain/ports.js';
import { createPersistAuditEventHandler } from './persist-audit-event.js';

const event = (id: string, outcome: CredentialAuditEvent['outcome']): CredentialAuditEvent => ({
  id,
  at: '2026-12-03T12:00:00.000Z',
  user: 'alice@example.com',
  groups: [],
  channel: 'cli',
  requestedRole: 'arn:aws:iam::111111111111:role/readonly',
  outcome,
  requestId: `req-${id}`,
  sourceIp: '198.51.100.7',
  userAgent: 'weep',
});

/** A store that keeps what each call wrote, and fails the calls `failing` names. */
function recordingStore(failing: { final?: boolean; intent?: string } = {}) {
  const calls: { kind: 'put' | 'putFinal'; ids: string[] }[] = [];
  const table = new Map<string, string>();
  const store: AuditStore = {
    put(e) {
      calls.push({ kind: 'put', ids: [e.id] });
      if (failing.intent === e.id) return Promise.reject(new Error('throttled'));
      if (!(e.outcome === 'pending' && table.has(e.id))) table.set(e.id, e.outcome);
      return Promise.resolve();
    },
    putFinal(events) {
      calls.push({ kind: 'putFinal', ids: events.map((e) => e.id) });
      if (failing.final) return Promise.reject(new Error('throttled'));
      for (const e of events) table.set(e.id, e.outcome);
      return Promise.resolve();
    },
    query: () => Promise.resolve({ items: [], nextCursor: null }),
  };
  return { store, calls, table };
}

describe('persisting audit events in batches', () => {
  it('writes only the completion of an issuance whose intent and completion arrive in one window', async () => {
    const { store, calls, table } = recordingStore();
    const persist = createPersistAuditEventHandler({ store, windowMs: 10_000 });
    const intent = persist(event('a', 'pending'));
    const completion = persist(event('a', 'issued'));
    await persist.flush();
    await Promise.all([intent, completion]);
    expect(calls).toEqual([{ kind: 'putFinal', ids: ['a'] }]);
    expect(table.get('a')).toBe('issued');
  });

  it('writes an intent still alone when the window closes with its condition, and its completion later', async () => {
    const { store, calls, table } = recordingStore();
    const persist = createPersistAuditEventHandler({ store, windowMs: 1 });
    await persist(event('a', 'pending'));
    expect(table.get('a')).toBe('pending');
    await persist(event('a', 'refused'));
    expect(calls).toEqual([
      { kind: 'put', ids: ['a'] },
      { kind: 'putFinal', ids: ['a'] },
    ]);
    expect(table.get('a')).toBe('refused');
  });

  it('keeps the completion when its intent is redelivered into the same batch after it', async () => {
    const { store, calls, table } = recordingStore();
    const persist = createPersistAuditEventHandler({ store, windowMs: 10_000 });
    const both = [persist(event('a', 'issued')), persist(event('a', 'pending'))];
    await persist.flush();
    await Promise.all(both);
    expect(calls).toEqual([{ kind: 'putFinal', ids: ['a'] }]);
    expect(table.get('a')).toBe('issued');
  });

  it('closes a batch once it holds batchSize distinct records, without waiting for the window', async () => {
    const { store, calls } = recordingStore();
    const persist = createPersistAuditEventHandler({ store, windowMs: 3_600_000, batchSize: 3 });
    // The window is an hour: these resolve only because the third distinct record closed the batch.
    await Promise.all([
      persist(event('a', 'pending')),
      persist(event('a', 'issued')),
      persist(event('b', 'issued')),
      persist(event('c', 'issued')),
    ]);
    expect(calls).toEqual([{ kind: 'putFinal', ids: ['a', 'b', 'c'] }]);
  });

  it('rejects the deliveries of a batch that failed, so JetStream delivers them again, and only those', async () => {
    const { store } = recordingStore({ final: true, intent: 'x' });
    const persist = createPersistAuditEventHandler({ store, windowMs: 10_000 });
    const outcomes = [
      persist(event('a', 'pending')),
      persist(event('a', 'issued')),
      persist(event('x', 'pending')),
      persist(event('y', 'pending')),
    ].map((p) =>
      p.then(
        () => 'written',
        () => 'failed',
      ),
    );
    await persist.flush();
    expect(await Promise.all(outcomes)).toEqual(['failed', 'failed', 'failed', 'written']);
  });
});
