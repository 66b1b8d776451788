import type { Refusal } from '@rolecall/shared/contracts';
import { AppError } from '@rolecall/shared/errors';
import { Type } from 'typebox';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { toHttpError } from '../../plugins/error-handler.js';
import type { GatewayApp, RouteDeps } from '../deps.js';
import { ErrorBody } from '../schemas.js';
import { callerOf, contextOf } from './request-context.js';

const Body = Type.Object(
  {
    requested_role: Type.String({
      minLength: 1,
      maxLength: 2048,
      description: 'Full role ARN, role name, or a search string matched among your eligible roles',
    }),
    no_ip_restrictions: Type.Optional(Type.Boolean({ default: false })),
    console_only: Type.Optional(
      Type.Boolean({ default: false, description: 'Match among console roles only (no cli-only roles)' }),
    ),
    custom_ip_restrictions: Type.Optional(Type.Array(Type.String(), { maxItems: 100 })),
    metadata: Type.Optional(
      Type.Object(
        {},
        { additionalProperties: true, description: 'What Weep says about itself; logged only' },
      ),
    ),
    user_role: Type.Optional(Type.Unknown({ description: 'Not supported by Rolecall (refused with 904)' })),
    app_name: Type.Optional(Type.Unknown({ description: 'Not supported by Rolecall (refused with 904)' })),
    account: Type.Optional(Type.Unknown({ description: 'Not supported by Rolecall (refused with 904)' })),
  },
  { additionalProperties: false },
);

const Credentials = Type.Object({
  Credentials: Type.Object({
    AccessKeyId: Type.String(),
    SecretAccessKey: Type.String(),
    SessionToken: Type.String(),
    Expiration: Type.Integer({ description: 'Unix seconds' }),
    RoleArn: Type.String(),
  }),
});

const CredentialError = Type.Object(
  {
    code: Type.String({ description: "ConsoleMe's code: 900, 901, 902, 903, 904 or invalid_jwt" }),
    message: Type.String(),
    requested_role: Type.Optional(Type.String()),
    request_id: Type.Optional(Type.String()),
  },
  { additionalProperties: true },
);

/**
 * ConsoleMe's credential error codes for the broker's refusals (Weep maps each to its own error). A refusal
 * ConsoleMe had no code for keeps Rolecall's, which Weep prints with the message.
 */
const REFUSAL_CODES: Record<Refusal['reason'], string> = {
  no_matching_role: '900',
  multiple_matching_roles: '901',
  not_eligible: '903',
  ip_exemption_not_allowed: 'FORBIDDEN',
};

const UNSUPPORTED_FIELDS = ['user_role', 'app_name', 'account'] as const;

/**
 * `POST /api/v1/get_credentials`: Weep's only credential call. Error bodies and codes are ConsoleMe's,
 * because Weep decides what to tell the user (and whether to delete its cached login) from `code`.
 */
export function registerGetCredentialsRoute(app: GatewayApp, deps: RouteDeps): void {
  app.post(
    '/api/v1/get_credentials',
    {
      config: { access: 'cli' },
      // Rate limited by the broker with this gateway's limit, in the one Redis round trip that also reads
      // the caller's roles, on the counter role_login's hook shares (RATE_LIMITED comes back over NATS and
      // is answered 429 with Retry-After).
      errorHandler: (error, request, reply) => {
        answerFailure(error, request, reply);
      },
      schema: {
        tags: ['credentials'],
        summary: 'AWS credentials for one of your roles (ConsoleMe/Weep)',
        description:
          'Authenticated by the JWT cookie of the challenge login (and trusted headers when ' +
          '`auth.cliAcceptsTrustedHeaders`). Refusals: 900/903 no matching role, 901 several, ' +
          '902 broker failure, 904 malformed request, FORBIDDEN for no_ip_restrictions or ' +
          'custom_ip_restrictions without `broker.ipRestrictionExemptGroups`; 429 RATE_LIMITED; 503 with the ' +
          'code of the dependency that is down (NATS_UNAVAILABLE, REDIS_UNAVAILABLE, BROKER_UNAVAILABLE, ' +
          'AUDIT_UNAVAILABLE); 504 TIMEOUT.',
        body: Body,
        response: {
          200: Credentials,
          400: CredentialError,
          403: CredentialError,
          429: ErrorBody,
          503: CredentialError,
          504: CredentialError,
        },
      },
    },
    async (request, reply) => {
      const body = request.body;
      const unsupported = unsupportedFieldIn(body);
      if (unsupported)
        return sendCredentialError(reply, request, 400, '904', unsupportedMessage(unsupported));
      const result = await deps.broker.issueCredentials({
        caller: callerOf(request),
        requestedRole: body.requested_role,
        channel: body.console_only === true ? 'console' : 'cli',
        ...(body.no_ip_restrictions === undefined ? {} : { noIpRestrictions: body.no_ip_restrictions }),
        ...(body.custom_ip_restrictions === undefined
          ? {}
          : { customIpRestrictions: body.custom_ip_restrictions }),
        context: contextOf(request),
        rateLimitPerMinute: deps.config.gateway.rateLimit.credentialsPerMinute,
      });
      void reply.header('cache-control', 'no-store');
      if (result.outcome === 'refused') {
        return sendCredentialError(reply, request, 403, REFUSAL_CODES[result.reason], result.message, {
          ...(result.reason === 'multiple_matching_roles' ? { 'matching roles': result.matches } : {}),
        });
      }
      const c = result.credentials;
      return {
        Credentials: {
          AccessKeyId: c.accessKeyId,
          SecretAccessKey: c.secretAccessKey,
          SessionToken: c.sessionToken,
          Expiration: c.expiration,
          RoleArn: result.roleArn,
        },
      };
    },
  );
}

function unsupportedFieldIn(body: unknown): string | undefined {
  if (typeof body !== 'object' || body === null) return undefined;
  return UNSUPPORTED_FIELDS.find((field) => field in body);
}

const unsupportedMessage = (field: string) =>
  `${field} is not supported by Rolecall: ask for a role with requested_role (its ARN or name)`;

function sendCredentialError(
  reply: FastifyReply,
  request: FastifyRequest,
  status: number,
  code: string,
  message: string,
  extra: Record<string, unknown> = {},
) {
  const body = request.body as { requested_role?: unknown } | undefined;
  const requestedRole = typeof body?.requested_role === 'string' ? body.requested_role : undefined;
  return reply
    .status(status)
    .header('cache-control', 'no-store')
    .type('application/json')
    .send({
      code,
      message,
      ...(requestedRole === undefined ? {} : { requested_role: requestedRole }),
      request_id: request.id,
      ...extra,
    });
}

/** Answered by the gateway's error handler in its `{code, message}` shape, as on every route. */
const GATEWAY_ANSWERED = ['INVALID_JWT', 'UNAUTHENTICATED', 'RATE_LIMITED', 'FORBIDDEN'];
const LIMIT_STATUSES = [413, 414, 415, 431];

/**
 * Bad input becomes 904, and a broker that failed (an STS error) 902, with the request id so the broker's
 * log and audit trail can be found. A dependency that is down or too slow (NATS, Redis, the broker, the
 * audit trail) answers 503/504 with that dependency's code: Weep then prints the body, which says what is
 * down, instead of blaming the broker. Authentication and rate limiting keep their own answers
 * (`invalid_jwt`, 429) and request limits (413, 414, 415, 431), handled by the gateway's error handler.
 */
function answerFailure(error: unknown, request: FastifyRequest, reply: FastifyReply): void {
  const appError = toHttpError(error);
  if (GATEWAY_ANSWERED.includes(appError.code) || LIMIT_STATUSES.includes(appError.status)) throw appError;
  if (appError.fault === 'client') {
    const unsupported = unsupportedFieldIn(request.body);
    const message = unsupported ? unsupportedMessage(unsupported) : `malformed request: ${appError.message}`;
    void sendCredentialError(reply, request, 400, '904', message);
    return;
  }
  request.log.error({ err: error, code: appError.code }, 'credential request failed');
  if (appError.status === 503 || appError.status === 504) {
    void sendCredentialError(reply, request, appError.status, appError.code, appError.message);
    return;
  }
  const reason = appError instanceof AppError ? appError.code : 'INTERNAL';
  void sendCredentialError(
    reply,
    request,
    403,
    '902',
    `failed to retrieve credentials from the broker (${reason}): ${appError.message}`,
    { exception: reason },
  );
}
