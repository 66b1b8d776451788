export { describeIamData } from './iam-data-version.js';
export * from './action-catalogue.js';
export * from './self-service-map.js';
export * from './permission-template-defaults.js';

// Could this principal do that? (simulation) and from AccessDenied to a request.
export { simulateAccess } from './simulate.js';
export type {
  AccessFacts,
  GroupFacts,
  PolicyResourceType,
  PrincipalFacts,
  ResourceFacts,
} from './simulate-facts.js';
export { policyHolderOf, type PolicyHolder } from './simulate-resource.js';
export { parseAccessDenied, type ParsedAccessDenied } from './access-denied.js';
export { answerAccessDenied, granteeOf } from './access-denied-request.js';
