import { headers } from '@nats-io/transport-node';
import { describe, expect, it } from 'vitest';
import { currentRequestId, REQUEST_ID_HEADER, runWithRequestId } from './request-context.js';
import { handleIncoming, outgoingHeaders } from './spans.js';

const span = { name: 'test', options: {} };

describe('the request id across a NATS hop', () => {
  it('goes into the headers of a message sent while a request is handled, and the receiver handles under it', async () => {
    const sent = runWithRequestId('req-7', () => outgoingHeaders());
    expect(sent?.get(REQUEST_ID_HEADER)).toBe('req-7');
    expect(await handleIncoming(sent, span, () => Promise.resolve(currentRequestId()))).toBe('req-7');
  });

  it('sends no headers outside a request (tracing off), and the receiver has no request id', async () => {
    expect(outgoingHeaders()).toBeUndefined();
    expect(await handleIncoming(undefined, span, () => Promise.resolve(currentRequestId()))).toBeUndefined();
  });

  it.each([
    ['spaces and quotes', 'one "two" three'],
    ['more than 128 characters', 'a'.repeat(129)],
  ])('ignores a request id header with %s', async (_name, value) => {
    const forged = headers();
    forged.set(REQUEST_ID_HEADER, value);
    expect(await handleIncoming(forged, span, () => Promise.resolve(currentRequestId()))).toBeUndefined();
  });
});
