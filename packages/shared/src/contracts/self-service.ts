import './formats.js';
import { Type, type Static } from 'typebox';
import { Caller } from './broker.js';
import { defineMessage } from './envelope.js';
import { defineOperation } from './operation.js';
import { ChangeModelArray, ChangeProblem, Duration, PrincipalModel } from './requests.js';

/*
 * The self-service wizard's backend (ConsoleMe's `/api/v2/self_service_config`,
 * `/api/v2/permission_templates` and `/api/v2/generate_changes`), snake_case as ConsoleMe's UI sends it.
 * services/requests answers generate_changes: it reads the principal's policies from the cache and
 * merges into the inline policy Rolecall manages there.
 */

/** The generator types of ConsoleMe's wizard; `generic` and `crud_lookup` resolve access levels. */
export const GeneratorTypes = [
  's3',
  'sqs',
  'sns',
  'sts',
  'ses',
  'rds',
  'ec2',
  'route53',
  'crud_lookup',
  'custom_iam',
  'generic',
] as const;
export type GeneratorType = (typeof GeneratorTypes)[number];

/** The plain-language access-level choices of `crud_lookup` and `generic`, and the IAM level each names. */
export const AccessLevelChoices = {
  list: 'List',
  read: 'Read',
  write: 'Write',
  'permissions-management': 'Permissions management',
  tagging: 'Tagging',
} as const;
export type AccessLevelChoice = keyof typeof AccessLevelChoices;

const Arn = Type.String({ minLength: 1, maxLength: 2048 });
const ActionName = Type.String({ minLength: 1, maxLength: 256 });

/** A condition block as IAM writes it: operator → key → value(s). */
export const ConditionBlock = Type.Record(
  Type.String({ minLength: 1, maxLength: 128 }),
  Type.Record(
    Type.String({ minLength: 1, maxLength: 256 }),
    Type.Union([
      Type.String({ maxLength: 1024 }),
      Type.Array(Type.String({ maxLength: 1024 }), { maxItems: 50 }),
    ]),
  ),
);

/**
 * One generator of ConsoleMe's ChangeGeneratorModel. One object for every type, rather than a union per
 * type, so an unknown `generator_type` is answered with its own code (UNKNOWN_GENERATOR_TYPE) and the
 * list of known ones, instead of a schema error per union member. Which fields a type needs is checked
 * by services/requests, each with a stable code.
 */
export const ChangeGenerator = Type.Object({
  principal: PrincipalModel,
  generator_type: Type.String({
    minLength: 1,
    maxLength: 64,
    description: `One of ${GeneratorTypes.join(', ')}`,
    examples: ['s3'],
  }),
  /** A bucket, queue, topic, role… ARN, or several; `*` where the type allows it (ec2, route53, crud_lookup). */
  resource_arn: Type.Optional(Type.Union([Arn, Type.Array(Arn, { minItems: 1, maxItems: 50 })])),
  /** Names from the type's `action_map` in self_service_config (`list`, `read`…). */
  action_groups: Type.Optional(Type.Array(Type.String({ minLength: 1, maxLength: 64 }), { maxItems: 20 })),
  effect: Type.Optional(Type.Union([Type.Literal('Allow'), Type.Literal('Deny')])),
  condition: Type.Optional(ConditionBlock),
  /** The inline policy to create or to merge into; default: the principal's Rolecall-managed one. */
  policy_name: Type.Optional(Type.String({ minLength: 1, maxLength: 128 })),
  /** s3: the objects under the bucket (`/*`, `reports/2026/*`); default `/*`. */
  bucket_prefix: Type.Optional(Type.String({ maxLength: 1024 })),
  /** crud_lookup: the IAM service prefix (`dynamodb`, `rekognition`). */
  service_name: Type.Optional(Type.String({ minLength: 1, maxLength: 64 })),
  /** ses: the address mails go out from (`ses:FromAddress`). */
  from_address: Type.Optional(Type.String({ minLength: 3, maxLength: 320 })),
  /** custom_iam: the statements to add (a policy document, or its Statement list). */
  policy: Type.Optional(
    Type.Union([
      Type.Object({ Version: Type.Optional(Type.String()), Statement: Type.Unknown() }),
      Type.Array(Type.Record(Type.String(), Type.Unknown()), { minItems: 1, maxItems: 100 }),
    ]),
  ),
  /** More actions for the same resources, each checked against the IAM data. */
  extra_actions: Type.Optional(Type.Array(ActionName, { maxItems: 100 })),
  /** Passed on to the generated change (see ChangeModel). */
  expiration_date: Type.Optional(
    Type.Union([
      Type.String({ format: 'date-time' }),
      Type.Integer({ minimum: 19700101, maximum: 99991231 }),
    ]),
  ),
  expires_in: Type.Optional(Duration),
  /** ConsoleMe sends it; Rolecall always uses the signed-in caller. */
  user: Type.Optional(Type.String({ maxLength: 320 })),
});
export type ChangeGenerator = Static<typeof ChangeGenerator>;

/** `POST /api/v2/generate_changes`. */
export const ChangeGeneratorModelArray = Type.Object({
  changes: Type.Array(ChangeGenerator, { minItems: 1, maxItems: 20 }),
});
export type ChangeGeneratorModelArray = Static<typeof ChangeGeneratorModelArray>;

/** One input of a wizard form (ConsoleMe's shape). */
export const SelfServiceInput = Type.Object({
  name: Type.String(),
  type: Type.Union([
    Type.Literal('typeahead_input'),
    Type.Literal('text_input'),
    Type.Literal('single_typeahead_input'),
  ]),
  text: Type.String(),
  required: Type.Boolean(),
  default: Type.Optional(Type.String()),
  typeahead_endpoint: Type.Optional(Type.String()),
});
export type SelfServiceInput = Static<typeof SelfServiceInput>;

/** One plain-language choice and the IAM actions it grants. */
export const SelfServiceActionGroup = Type.Object({
  name: Type.String(),
  text: Type.String(),
  /** IAM actions (for crud_lookup: the IAM access level the choice resolves to per service). */
  permissions: Type.Array(Type.String()),
  /** Where the actions come from: the IAM data by access level, or a curated list checked against it. */
  source: Type.Optional(Type.String()),
});
export type SelfServiceActionGroup = Static<typeof SelfServiceActionGroup>;

export const SelfServicePermission = Type.Object({
  text: Type.String(),
  description: Type.String(),
  inputs: Type.Array(SelfServiceInput),
  action_map: Type.Array(SelfServiceActionGroup),
  condition: Type.Optional(ConditionBlock),
});
export type SelfServicePermission = Static<typeof SelfServicePermission>;

/** `GET /api/v2/self_service_config`. */
export const SelfServiceConfig = Type.Object({
  admin_bypass_approval_enabled: Type.Boolean(),
  export_to_terraform_enabled: Type.Boolean(),
  help_message: Type.String(),
  permissions_map: Type.Record(Type.String(), SelfServicePermission),
  /** The release of AWS's IAM data the actions come from (Rolecall). */
  iam_data: Type.Object({ version: Type.String(), updated_at: Type.String() }),
});
export type SelfServiceConfig = Static<typeof SelfServiceConfig>;

/**
 * A permission template (ConsoleMe's shape: `value` is the policy document as JSON text). Held in the
 * dynamic config under `permission_templates`; one there replaces the default with the same `key`.
 */
export const PermissionTemplate = Type.Object(
  {
    key: Type.String({ minLength: 1, maxLength: 64, pattern: '^[A-Za-z0-9_.-]+$' }),
    text: Type.String({ minLength: 1, maxLength: 200 }),
    value: Type.String({ minLength: 2, maxLength: 10_240, description: 'The policy document as JSON text' }),
  },
  { additionalProperties: false },
);
export type PermissionTemplate = Static<typeof PermissionTemplate>;

/** `GET /api/v2/permission_templates`. */
export const PermissionTemplates = Type.Object({ permission_templates: Type.Array(PermissionTemplate) });
export type PermissionTemplates = Static<typeof PermissionTemplates>;

/*
 * NATS: services/requests generates the changes, with the principal's current policies from the cache.
 */

export const selfServiceSubjects = {
  generateChanges: 'requests.self-service.generate-changes',
} as const;

export const GenerateChangesData = Type.Object({ caller: Caller, body: ChangeGeneratorModelArray });
export const GenerateChangesRequest = defineMessage(
  'requests.self-service.generate-changes',
  1,
  GenerateChangesData,
);
/** Refusals are values: `invalid` → 400, `not_found` → 404 (the principal is not in the cache). */
export const GenerateChangesReply = Type.Union([
  Type.Object({ outcome: Type.Literal('done'), changes: ChangeModelArray }),
  Type.Object({
    outcome: Type.Literal('refused'),
    kind: Type.Union([Type.Literal('invalid'), Type.Literal('not_found')]),
    code: Type.String(),
    message: Type.String(),
    problems: Type.Optional(Type.Array(ChangeProblem)),
  }),
]);
export type GenerateChangesReply = Static<typeof GenerateChangesReply>;

/** What services/requests answers for the wizard, beside `requestsOperations`. */
export const selfServiceOperations = {
  generateChanges: defineOperation({
    owner: 'requests',
    subject: selfServiceSubjects.generateChanges,
    request: GenerateChangesRequest,
    reply: defineMessage('requests.self-service.generate-changes.reply', 1, GenerateChangesReply),
    errors: ['UPSTREAM_FAILED', 'UPSTREAM_UNAVAILABLE', 'REDIS_UNAVAILABLE'],
  }),
} as const;
