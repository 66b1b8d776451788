export { describeIamData } from './iam-data-version.js';
export * from './action-catalogue.js';
export * from './self-service-map.js';
export * from './permission-template-defaults.js';
export {
  checkPolicy,
  FINDING_CODES,
  POLICY_KINDS,
  type CheckOptions,
  type FindingCode,
  type PolicyKind,
} from './check-policy.js';
export { newlyGranted, type NewlyGrantedOptions } from './newly-granted.js';
export { accessLevelOf } from './iam-catalog.js';
export { PRIVILEGE_ESCALATION_METHODS, type EscalationMethod } from './privilege-escalation.js';
export { expandActions } from './iam-catalog.js';

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
