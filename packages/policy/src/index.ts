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
