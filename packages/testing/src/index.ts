export * from './servers.js';
export * from './demo-org.js';
export * from './cached-items.js';
export * from './eventually.js';
export * from './counting-proxy.js';
export * from './moto-iam.js';
