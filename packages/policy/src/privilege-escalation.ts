/*
 * Actions that let a principal give itself (or something it controls) more access than it was granted.
 *
 * Source: Rhino Security Labs, "AWS IAM Privilege Escalation – Methods and Mitigation" (Spencer Gietzen,
 * https://rhinosecuritylabs.com/aws/aws-privilege-escalation-methods-mitigation/), methods 1–21, and the
 * paths Bishop Fox's iam-vulnerable adds to them (https://github.com/BishopFox/iam-vulnerable). Each method
 * is listed by the action that opens it; `iam:PassRole` and `sts:AssumeRole` open a path only when they
 * are allowed on every role, so they count on Resource `*` alone. The unit test checks that every action
 * here exists in the IAM data, so a renamed or retired action fails the build rather than going unnoticed.
 */

export interface EscalationMethod {
  /** `service:Action`, as AWS publishes it. */
  action: string;
  /** `all_resources`: only risky on Resource `*` (any role can be passed or assumed). */
  when: 'always' | 'all_resources';
  /** How it escalates, for the finding's message. */
  how: string;
}

export const PRIVILEGE_ESCALATION_METHODS: readonly EscalationMethod[] = [
  {
    action: 'iam:CreatePolicyVersion',
    when: 'always',
    how: 'makes a new default version of a policy with any permissions',
  },
  {
    action: 'iam:SetDefaultPolicyVersion',
    when: 'always',
    how: 'switches a policy to an older, broader version',
  },
  {
    action: 'iam:PassRole',
    when: 'all_resources',
    how: 'hands any role, admin included, to a service the caller controls',
  },
  { action: 'iam:CreateAccessKey', when: 'always', how: 'creates access keys for another user' },
  { action: 'iam:CreateLoginProfile', when: 'always', how: 'sets a console password for another user' },
  { action: 'iam:UpdateLoginProfile', when: 'always', how: "changes another user's console password" },
  {
    action: 'iam:AttachUserPolicy',
    when: 'always',
    how: 'attaches any managed policy, AdministratorAccess included, to a user',
  },
  {
    action: 'iam:AttachGroupPolicy',
    when: 'always',
    how: 'attaches any managed policy to a group the caller is in',
  },
  {
    action: 'iam:AttachRolePolicy',
    when: 'always',
    how: 'attaches any managed policy to a role the caller can use',
  },
  { action: 'iam:PutUserPolicy', when: 'always', how: 'writes any inline policy on a user' },
  { action: 'iam:PutGroupPolicy', when: 'always', how: 'writes any inline policy on a group' },
  { action: 'iam:PutRolePolicy', when: 'always', how: 'writes any inline policy on a role' },
  { action: 'iam:AddUserToGroup', when: 'always', how: 'joins a more privileged group' },
  {
    action: 'iam:UpdateAssumeRolePolicy',
    when: 'always',
    how: "rewrites a role's trust policy so the caller can assume it",
  },
  {
    action: 'iam:DeleteRolePermissionsBoundary',
    when: 'always',
    how: "removes the boundary that limits a role's permissions",
  },
  {
    action: 'iam:DeleteUserPermissionsBoundary',
    when: 'always',
    how: "removes the boundary that limits a user's permissions",
  },
  {
    action: 'iam:PutRolePermissionsBoundary',
    when: 'always',
    how: 'replaces a role boundary with a broader one',
  },
  {
    action: 'iam:PutUserPermissionsBoundary',
    when: 'always',
    how: 'replaces a user boundary with a broader one',
  },
  {
    action: 'sts:AssumeRole',
    when: 'all_resources',
    how: 'assumes any role whose trust policy lets the account in',
  },
  { action: 'lambda:UpdateFunctionCode', when: 'always', how: "runs the caller's code as a function's role" },
  {
    action: 'lambda:UpdateFunctionConfiguration',
    when: 'always',
    how: "adds a layer that runs the caller's code as a function's role",
  },
  {
    action: 'glue:UpdateDevEndpoint',
    when: 'always',
    how: "adds the caller's SSH key to a Glue endpoint that runs as a role",
  },
  {
    action: 'codebuild:StartBuild',
    when: 'always',
    how: "runs a build (with an overridden buildspec) as the project's role",
  },
  { action: 'ssm:SendCommand', when: 'always', how: "runs commands on an instance as the instance's role" },
  {
    action: 'ssm:StartSession',
    when: 'always',
    how: "opens a shell on an instance and uses the instance's role",
  },
  {
    action: 'ec2-instance-connect:SendSSHPublicKey',
    when: 'always',
    how: "logs in to an instance and uses the instance's role",
  },
  {
    action: 'sagemaker:CreatePresignedNotebookInstanceUrl',
    when: 'always',
    how: 'opens a notebook that runs as its role',
  },
];
