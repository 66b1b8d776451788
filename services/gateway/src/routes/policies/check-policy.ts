import { checkPolicy, POLICY_KINDS } from '@rolecall/policy';
import { LiteralUnion, PolicyFinding } from '@rolecall/shared/contracts';
import { AppError } from '@rolecall/shared/errors';
import { isWellFormedArn } from '@rolecall/shared/iam';
import { Type } from 'typebox';
import type { GatewayApp } from '../deps.js';
import { ErrorBody, commonErrors } from '../schemas.js';

/**
 * The largest document checked, in characters of JSON. AWS's own largest policy (an SNS topic policy) is
 * 30 KiB; twice that leaves room for pretty-printed ones while bounding what one request costs.
 */
export const MAX_POLICY_CHARS = 65_536;
/** Room for the document, its resource ARNs and the JSON around them; a larger body is 413 BODY_TOO_LARGE. */
const BODY_LIMIT_BYTES = 2 * MAX_POLICY_CHARS + 128 * 1024;

const Body = Type.Object(
  {
    policy: Type.Union(
      [Type.String({ maxLength: MAX_POLICY_CHARS }), Type.Record(Type.String(), Type.Unknown())],
      { description: 'The policy document: JSON text, or the parsed object' },
    ),
    policy_type: Type.Optional(
      LiteralUnion(POLICY_KINDS, {
        default: 'identity',
        description: 'identity (attached to a role or user), resource (bucket, queue, topic…) or trust',
      }),
    ),
    resource_arns: Type.Optional(
      Type.Array(Type.String({ minLength: 1, maxLength: 2048 }), {
        maxItems: 50,
        description: 'The resources the policy is meant to act on: actions that can act on none are reported',
      }),
    ),
  },
  { additionalProperties: false },
);

const Response = Type.Object({ findings: Type.Array(PolicyFinding) });

/**
 * `POST /api/v2/policies/check` (ConsoleMe's route, Rolecall's findings): checks a document against AWS's
 * published IAM data in the gateway itself, with no call to another service. Any signed-in user may.
 */
export function registerCheckPolicyRoute(app: GatewayApp): void {
  app.post(
    '/api/v2/policies/check',
    {
      bodyLimit: BODY_LIMIT_BYTES,
      schema: {
        tags: ['policies'],
        summary: 'Check a policy document: structure, unknown actions, wildcards, escalation, public access',
        body: Body,
        response: { 200: Response, ...commonErrors, 413: ErrorBody },
      },
    },
    async (request) => {
      const { policy, policy_type: kind = 'identity', resource_arns: resourceArns = [] } = request.body;
      const malformed = resourceArns.filter((arn) => !isWellFormedArn(arn));
      if (malformed.length > 0) {
        throw new AppError(
          'INVALID_ARN',
          `resource_arns holds what is not an ARN (arn:partition:service:region:account:resource): ${malformed.slice(0, 5).join(', ')}`,
          { context: { malformed: malformed.slice(0, 20) } },
        );
      }
      // A parsed document is bounded by the same size as a text one, so both cost the same at most.
      if (typeof policy !== 'string' && JSON.stringify(policy).length > MAX_POLICY_CHARS) {
        throw new AppError(
          'VALIDATION_FAILED',
          `the policy is larger than ${MAX_POLICY_CHARS} characters of JSON; AWS accepts none that large`,
        );
      }
      return { findings: await checkPolicy(policy, kind, { resourceArns }) };
    },
  );
}
