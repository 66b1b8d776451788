export * from './schema.js';
export * from './parse.js';
export * from './store.js';
export * from './watch.js';
