import { JetStreamApiError } from '@nats-io/jetstream';
import { InvalidArgumentError } from '@nats-io/transport-node';

/**
 * JetStream API error codes (`err_code` in the server's `errors.json`) that Rolecall acts on. They are
 * stable across server versions; the descriptions next to them are not, so errors are never recognised
 * by their message text.
 */
export const JetStreamErrorCodes = {
  consumerNameInUse: 10013,
  consumerNotFound: 10014,
  /** A direct or API get of a stream message that is not there. */
  noMessageFound: 10037,
  streamNameInUse: 10058,
  streamNotFound: 10059,
  /**
   * The stream refused to store a published message (JSStreamStoreFailedF): a limit with discard `new`
   * was reached, e.g. `max_msgs_per_subject` with `discard_new_per_subject`. Which limit is only in the
   * text; a stream whose only such limit is per subject (CRAWL_JOBS) knows which one it was.
   */
  streamStoreFailed: 10077,
  /** A publish that expected another last sequence: a KV `create` of a key that exists. */
  streamWrongLastSequence: 10071,
  consumerExistingActive: 10105,
  /** A create of an existing consumer with another configuration (servers from 2.10). */
  consumerAlreadyExists: 10148,
} as const;

/** The JetStream API error code of an error from the nats client, if it carries one. */
export const jetStreamErrorCode = (error: unknown): number | undefined =>
  error instanceof JetStreamApiError ? error.code : undefined;

export const isStreamNotFound = (error: unknown) =>
  jetStreamErrorCode(error) === JetStreamErrorCodes.streamNotFound;

export const isConsumerNotFound = (error: unknown) =>
  jetStreamErrorCode(error) === JetStreamErrorCodes.consumerNotFound;

export const isNoMessageFound = (error: unknown) =>
  jetStreamErrorCode(error) === JetStreamErrorCodes.noMessageFound;

/** A KV `create` lost to another writer of the same key. */
export const isWrongLastSequence = (error: unknown) =>
  jetStreamErrorCode(error) === JetStreamErrorCodes.streamWrongLastSequence;

export const isStreamStoreFailed = (error: unknown) =>
  jetStreamErrorCode(error) === JetStreamErrorCodes.streamStoreFailed;

/** Another process created the stream first (with a configuration that differs, else the add succeeds). */
export const isStreamAlreadyCreated = (error: unknown) =>
  jetStreamErrorCode(error) === JetStreamErrorCodes.streamNameInUse;

/** Another process created the consumer first; which code depends on the server's version. */
export function isConsumerAlreadyCreated(error: unknown): boolean {
  const code = jetStreamErrorCode(error);
  return (
    code === JetStreamErrorCodes.consumerNameInUse ||
    code === JetStreamErrorCodes.consumerExistingActive ||
    code === JetStreamErrorCodes.consumerAlreadyExists
  );
}

/**
 * The client refused to send a message bigger than the server's `max_payload`. The v3 client has no
 * code for it, only its argument-error class: a publish to a valid, fixed subject that the client
 * refuses before sending is refused for its size.
 */
export const isMaxPayloadExceeded = (error: unknown) =>
  error instanceof InvalidArgumentError ||
  (error instanceof Error && error.cause instanceof InvalidArgumentError);
