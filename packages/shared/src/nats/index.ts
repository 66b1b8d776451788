export * from './connect.js';
export * from './connection-state.js';
export * from './streams.js';
export * from './messaging.js';
export * from './durable-consumer.js';
export * from './jetstream-errors.js';
export * from './delivery-policy.js';
export {
  DEAD_LETTER_HEADERS,
  DEAD_LETTER_STREAM,
  createDeadLetters,
  deadLetterSubjects,
  type DeadLetters,
} from './dead-letters.js';
