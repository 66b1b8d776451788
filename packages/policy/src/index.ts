export { describeIamData } from './iam-data-version.js';
export * from './action-catalogue.js';
export * from './self-service-map.js';
export * from './permission-template-defaults.js';
