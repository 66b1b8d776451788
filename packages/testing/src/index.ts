export * from './servers.js';
export * from './demo-org.js';
