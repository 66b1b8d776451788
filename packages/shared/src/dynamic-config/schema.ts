import { Type, type Static } from 'typebox';
import { PolicyRequestSettings } from '../contracts/requests.js';
import { PermissionTemplate } from '../contracts/self-service.js';

const RoleArn = Type.String({
  pattern: '^arn:aws[a-z-]*:iam::\\d{12}:role/.+$',
  description: 'An IAM role ARN',
});

/** What one user or group may use: console and CLI roles, and roles for the CLI only. */
export const GroupMappingEntry = Type.Object(
  {
    roles: Type.Optional(Type.Array(RoleArn)),
    cli_only_roles: Type.Optional(Type.Array(RoleArn)),
  },
  { additionalProperties: false },
);
export type GroupMappingEntry = Static<typeof GroupMappingEntry>;

/**
 * The dynamic configuration document, in ConsoleMe's `dynamic_config.*` shape and snake_case so an
 * existing ConsoleMe document can be pasted in. Unknown top-level keys are kept for later features.
 */
export const DynamicConfigDocument = Type.Object(
  {
    group_mapping: Type.Optional(
      Type.Record(Type.String({ minLength: 1 }), GroupMappingEntry, {
        description: 'user or group → {roles, cli_only_roles}',
      }),
    ),
    groups: Type.Optional(
      Type.Object(
        {
          can_admin: Type.Optional(Type.Array(Type.String())),
          can_edit_config: Type.Optional(Type.Array(Type.String())),
        },
        { additionalProperties: Type.Array(Type.String()) },
      ),
    ),
    /** Who approves policy requests, which are approved automatically, where notifications go. */
    policy_requests: Type.Optional(PolicyRequestSettings),
    /** The wizard's templates (`GET /api/v2/permission_templates`); each replaces the default of its key. */
    permission_templates: Type.Optional(Type.Array(PermissionTemplate, { maxItems: 200 })),
  },
  { additionalProperties: true },
);
export type DynamicConfigDocument = Static<typeof DynamicConfigDocument>;
