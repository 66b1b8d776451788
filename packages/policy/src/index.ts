export { describeIamData } from './iam-data-version.js';
