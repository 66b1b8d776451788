import { JetStreamApiError } from '@nats-io/jetstream';
import { InvalidArgumentError } from '@nats-io/transport-node';
import { describe, expect, it } from 'vitest';
import {
  isConsumerAlreadyCreated,
  isConsumerNotFound,
  isMaxPayloadExceeded,
  isNoMessageFound,
  isStreamAlreadyCreated,
  isStreamNotFound,
  isStreamStoreFailed,
  jetStreamErrorCode,
} from './jetstream-errors.js';

/** An API error as the nats client raises it: the server's description is its message. */
function apiError(errCode: number, description: string): JetStreamApiError {
  return new JetStreamApiError({ code: 404, err_code: errCode, description });
}

describe('JetStream API errors', () => {
  it('are recognised by their code, whatever their text says', () => {
    expect(isConsumerNotFound(apiError(10014, 'no such thing'))).toBe(true);
    expect(isStreamNotFound(apiError(10059, 'no such thing'))).toBe(true);
    expect(isStreamAlreadyCreated(apiError(10058, 'something else'))).toBe(true);
    for (const code of [10013, 10105, 10148])
      expect(isConsumerAlreadyCreated(apiError(code, 'x'))).toBe(true);
    expect(isNoMessageFound(apiError(10037, 'gone'))).toBe(true);
    expect(isStreamStoreFailed(apiError(10077, 'some limit'))).toBe(true);
  });

  it('are not recognised by their text alone', () => {
    expect(isConsumerNotFound(new Error('consumer not found'))).toBe(false);
    expect(isStreamNotFound(new Error('stream not found'))).toBe(false);
    expect(isStreamNotFound(apiError(10014, 'stream not found'))).toBe(false);
    expect(isConsumerAlreadyCreated(new Error('consumer already exists'))).toBe(false);
    expect(isNoMessageFound(new Error('no message found'))).toBe(false);
    expect(isStreamStoreFailed(new Error('maximum messages per subject exceeded'))).toBe(false);
    expect(isStreamStoreFailed(apiError(10037, 'maximum messages per subject exceeded'))).toBe(false);
  });

  it('tolerate anything thrown', () => {
    for (const thrown of [undefined, null, 'text', 42, {}]) {
      expect(jetStreamErrorCode(thrown)).toBeUndefined();
      expect(isMaxPayloadExceeded(thrown)).toBe(false);
    }
  });

  it('tell a message over the server limit by the client code', () => {
    expect(isMaxPayloadExceeded(InvalidArgumentError.format('payload', 'max_payload size exceeded'))).toBe(
      true,
    );
  });
});
