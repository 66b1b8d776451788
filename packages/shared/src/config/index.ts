export * from './schema.js';
export * from './load.js';
export * from './reference.js';
export * from './rules.js';
