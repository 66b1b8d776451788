import './formats.js';
export * from './envelope.js';
export * from './operation.js';
export * from './event.js';
export * from './resources.js';
export * from './crawler.js';
export * from './cache.js';
export * from './broker.js';
export * from './config.js';
