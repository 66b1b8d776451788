export * from './connect.js';
export * from './connection-state.js';
export * from './streams.js';
export * from './messaging.js';
export * from './durable-consumer.js';
