export * from './request-context.js';
export * from './spans.js';
export * from './start.js';
export * from './aws-http-handler.js';
