export * from './arn.js';
export * from './policy-document.js';
