import { createHmac } from 'node:crypto';
import { AppError } from '@rolecall/shared/errors';
import { Type } from 'typebox';
import { describeAssumedRole, signSigninToken, verifySigninToken } from '../../domain/demo-federation.js';
import { escapeHtml, htmlPage } from '../../domain/html.js';
import type { CallerIdentityLookup } from '../../domain/ports.js';
import type { GatewayApp, RouteDeps } from '../deps.js';
import { ErrorBody } from '../schemas.js';

const Query = Type.Object(
  {
    Action: Type.Union([Type.Literal('getSigninToken'), Type.Literal('login')]),
    Session: Type.Optional(Type.String({ maxLength: 8192 })),
    SessionDuration: Type.Optional(Type.Integer({ minimum: 900, maximum: 43_200 })),
    DurationSeconds: Type.Optional(Type.Integer({ minimum: 900, maximum: 43_200 })),
    SigninToken: Type.Optional(Type.String({ maxLength: 8192 })),
    Destination: Type.Optional(Type.String({ maxLength: 4096 })),
    Issuer: Type.Optional(Type.String({ maxLength: 4096 })),
  },
  { additionalProperties: true },
);

const DEFAULT_SESSION_SECONDS = 3600;

/**
 * `GET /demo/federation`: a local stand-in for https://signin.aws.amazon.com/federation, so the demo's
 * console sign-in works without AWS. `getSigninToken` checks the session credentials with STS
 * GetCallerIdentity (moto) and returns a token signed by the gateway that names who the session is;
 * `login` verifies that token and shows a page saying which role in which account the user landed in
 * and for how long. Registered only when `demo.federationStandIn` is on.
 */
export function registerDemoFederationRoute(
  app: GatewayApp,
  deps: RouteDeps & { callerIdentity: CallerIdentityLookup },
): void {
  // A key of its own, derived from the JWT secret, so a sign-in token can never pass as a JWT.
  const key = createHmac('sha256', deps.jwt.keys.signing.secret)
    .update('rolecall demo federation')
    .digest('base64url');
  app.get(
    '/demo/federation',
    {
      config: { access: 'public' },
      schema: {
        tags: ['demo'],
        summary: 'Demo stand-in for the AWS federation endpoint (getSigninToken, login)',
        querystring: Query,
        description: 'getSigninToken answers {SigninToken} as JSON; login answers an HTML page.',
        response: {
          200: {
            description: 'The sign-in token (getSigninToken) or the signed-in page (login)',
            content: {
              'application/json': { schema: Type.Object({ SigninToken: Type.String() }) },
              'text/html': { schema: Type.String() },
            },
          },
          400: {
            description: 'A malformed Session (getSigninToken) or an invalid or expired SigninToken (login)',
            content: {
              'application/json': { schema: ErrorBody },
              'text/html': { schema: Type.String() },
            },
          },
        },
      },
    },
    async (request, reply) => {
      const q = request.query;
      if (q.Action === 'getSigninToken') {
        const session = parseSession(q.Session);
        const who = await deps.callerIdentity.whoAmI({
          accessKeyId: session.sessionId,
          secretAccessKey: session.sessionKey,
          sessionToken: session.sessionToken,
        });
        const issuedAt = Math.floor(deps.now() / 1000);
        const duration = q.SessionDuration ?? q.DurationSeconds ?? DEFAULT_SESSION_SECONDS;
        const token = signSigninToken(
          {
            arn: who.arn,
            account: who.account,
            accessKeyId: session.sessionId,
            issuedAt,
            expiresAt: issuedAt + duration,
          },
          key,
        );
        return { SigninToken: token };
      }
      void reply.type('text/html; charset=utf-8').header('cache-control', 'no-store');
      const claims = q.SigninToken ? verifySigninToken(q.SigninToken, key) : undefined;
      const now = Math.floor(deps.now() / 1000);
      if (!claims || claims.expiresAt <= now) {
        return reply
          .status(400)
          .send(
            htmlPage(
              'Demo AWS console',
              '<p class="error">This sign-in link is invalid or has expired. Sign in again from Rolecall.</p>',
            ),
          );
      }
      const { roleName, sessionName } = describeAssumedRole(claims.arn);
      const minutes = Math.round((claims.expiresAt - now) / 60);
      const body = `
<p>You are signed in to the (demo) AWS console.</p>
<dl>
<dt>Role</dt><dd id="role">${escapeHtml(roleName)}</dd>
<dt>Account</dt><dd id="account">${escapeHtml(claims.account)}</dd>
<dt>Session name</dt><dd id="session">${escapeHtml(sessionName)}</dd>
<dt>Session lasts</dt><dd id="duration">${minutes} minutes, until ${escapeHtml(new Date(claims.expiresAt * 1000).toISOString())}</dd>
<dt>Destination</dt><dd id="destination">${escapeHtml(q.Destination ?? 'console home')}</dd>
<dt>Assumed-role ARN</dt><dd>${escapeHtml(claims.arn)}</dd>
</dl>
<p>This page stands in for AWS's federation endpoint in the Rolecall demo; no AWS account was involved.</p>`;
      return htmlPage('Demo AWS console', body);
    },
  );
}

function parseSession(raw: string | undefined): {
  sessionId: string;
  sessionKey: string;
  sessionToken: string;
} {
  let value: unknown;
  try {
    value = raw === undefined ? undefined : JSON.parse(raw);
  } catch {
    value = undefined;
  }
  const session = value as { sessionId?: unknown; sessionKey?: unknown; sessionToken?: unknown } | undefined;
  if (
    !isCredentialText(session?.sessionId) ||
    !isCredentialText(session?.sessionKey) ||
    !isCredentialText(session?.sessionToken)
  ) {
    throw new AppError(
      'VALIDATION_FAILED',
      'Session must be JSON {sessionId, sessionKey, sessionToken}, each printable ASCII without spaces',
    );
  }
  return { sessionId: session.sessionId, sessionKey: session.sessionKey, sessionToken: session.sessionToken };
}

/**
 * AWS keys and session tokens are printable ASCII; anything else could not even be sent to STS (it goes
 * into request headers), so it is the caller's mistake, not a failure of the STS call.
 */
const isCredentialText = (value: unknown): value is string =>
  typeof value === 'string' && /^[\x21-\x7e]+$/.test(value);
