import type { NatsConnection } from '@nats-io/transport-node';
import { jetstream } from '@nats-io/jetstream';
import { Type } from 'typebox';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { defineMessage } from '../src/contracts/envelope.js';
import { defineOperation } from '../src/contracts/operation.js';
import { silentLogger } from '../src/log/index.js';
import { connectNats, publishEvent, request, serve } from '../src/nats/index.js';
import { startNats, type RunningServer } from '@rolecall/testing';

const Ask = defineMessage('broker.test.ask', 1, Type.Object({ wait: Type.Boolean() }));
const Answer = defineMessage('broker.test.ask.reply', 1, Type.Object({ ok: Type.Boolean() }));
const subject = 'broker.test.ask';
const catalogue = {
  ask: defineOperation({ owner: 'broker', subject, request: Ask, reply: Answer, errors: [] }),
};
/** Far longer than any answer below: a request that waited for it would fail these tests on its code. */
const LONG_TIMEOUT_MS = 60_000;

describe('requests to a service that is gone, over a NATS that is gone', () => {
  let nats: RunningServer;
  let caller: NatsConnection;

  beforeAll(async () => {
    nats = await startNats();
    caller = await connectNats({ url: nats.url, name: 'caller', log: silentLogger() });
  });
  afterAll(async () => {
    await caller?.close();
    await nats?.stop();
  });

  const ask = (wait: boolean) =>
    request(caller, catalogue.ask, { wait }, { source: 'test', timeoutMs: LONG_TIMEOUT_MS });

  it('answers BROKER_UNAVAILABLE at once when no broker is subscribed (no responders)', async () => {
    await expect(ask(false)).rejects.toMatchObject({ code: 'BROKER_UNAVAILABLE', status: 503 });
  });

  it('answers BROKER_UNAVAILABLE for a pending request whose only broker died, instead of the timeout', async () => {
    const responder = await connectNats({ url: nats.url, name: 'broker', log: silentLogger() });
    await serve(responder, { version: '0.0.0', log: silentLogger() }, catalogue, {
      // A broker stuck in a call, then killed: it never answers.
      ask: ({ wait }) => (wait ? new Promise(() => undefined) : Promise.resolve({ ok: true })),
    });
    await expect(ask(false)).resolves.toEqual({ ok: true });
    const pending = ask(true);
    const outcome = pending.then(
      () => 'answered',
      (error: { code?: string }) => error.code,
    );
    await new Promise((r) => setTimeout(r, 300));
    await responder.close();
    expect(await outcome).toBe('BROKER_UNAVAILABLE');
  });

  it('fails fast, not at the timeout, for a request whose connection dropped and came back', async () => {
    const responder = await connectNats({ url: nats.url, name: 'broker', log: silentLogger() });
    await serve(responder, { version: '0.0.0', log: silentLogger() }, catalogue, {
      ask: ({ wait }) => (wait ? new Promise(() => undefined) : Promise.resolve({ ok: true })),
    });
    const outcome = ask(true).then(
      () => 'answered',
      (error: { code?: string }) => error.code,
    );
    await new Promise((r) => setTimeout(r, 300));
    // Down and back faster than the pending request's liveness check runs. Whichever notices first (the
    // dropped connection, or the broker not yet back), the answer is a 503 naming it, not TIMEOUT.
    await nats.restart();
    expect(['NATS_UNAVAILABLE', 'BROKER_UNAVAILABLE']).toContain(await outcome);
    await responder.close();
  });

  it('answers NATS_UNAVAILABLE at once for requests and publishes while NATS is down, and works again after', async () => {
    nats.process?.kill('SIGKILL');
    await new Promise((r) => setTimeout(r, 200));
    await expect(ask(false)).rejects.toMatchObject({ code: 'NATS_UNAVAILABLE', status: 503 });
    await expect(
      publishEvent(
        jetstream(caller),
        'broker.audit.credentials.pending',
        Ask,
        { wait: false },
        { source: 'test' },
      ),
    ).rejects.toMatchObject({ code: 'NATS_UNAVAILABLE' });
    await nats.restart();
    // Reconnected: the request is answered by no-responders again, not by NATS_UNAVAILABLE.
    let code: string | undefined;
    for (let i = 0; i < 200 && code !== 'BROKER_UNAVAILABLE'; i++) {
      code = await ask(false).then(
        () => 'answered',
        (error: { code?: string }) => error.code,
      );
      if (code !== 'BROKER_UNAVAILABLE') await new Promise((r) => setTimeout(r, 100));
    }
    expect(code, 'the caller reconnected').toBe('BROKER_UNAVAILABLE');
  });
});
