import { AppError } from '@rolecall/shared/errors';
import { LiteralUnion } from '@rolecall/shared/contracts';
import { Type } from 'typebox';
import {
  approveChallenge,
  createChallenge,
  pollChallenge,
  viewChallenge,
  type Challenge,
  type ValidationRefusal,
} from '../../domain/challenge.js';
import { signJwt } from '../../domain/jwt.js';
import { publicBaseUrl } from '../../domain/public-url.js';
import { byPeerAddress, createRateLimitHook } from '../../plugins/rate-limits.js';
import type { GatewayApp, RouteDeps } from '../deps.js';
import { ErrorBody, commonErrors } from '../schemas.js';

const Token = Type.String({ pattern: '^[a-zA-Z0-9_-]{1,128}$' });
const TokenParams = Type.Object({ token: Token });

const PollReply = Type.Object(
  {
    status: LiteralUnion(['pending', 'expired', 'unknown', 'unauthorized', 'success']),
    cookie_name: Type.Optional(Type.String()),
    expiration: Type.Optional(Type.Integer({ description: 'Unix seconds' })),
    encoded_jwt: Type.Optional(Type.String()),
    user: Type.Optional(Type.String()),
    secure: Type.Optional(Type.Boolean()),
  },
  { additionalProperties: false },
);

const ValidatorView = Type.Object({
  message: Type.String(),
  nonce: Type.String(),
  show_approve_button: Type.Boolean(),
  user: Type.String(),
  ip: Type.String(),
  created_at: Type.String({ format: 'date-time' }),
});

export const peerAddress = byPeerAddress;

/** The AppError for each refusal, shared by the JSON routes and the HTML page. */
export function refusalError(refusal: ValidationRefusal): AppError {
  switch (refusal.refused) {
    case 'unknown':
      return new AppError('NOT_FOUND', 'this login challenge does not exist (it may have been used already)');
    case 'expired':
      return new AppError('NOT_FOUND', 'this login challenge has expired; run weep again for a new one');
    case 'other_user':
      return new AppError(
        'FORBIDDEN',
        `this login challenge was created for ${refusal.challengeUser}; sign in as that user to approve it`,
      );
    case 'other_ip':
      return new AppError(
        'FORBIDDEN',
        `this login challenge was created from ${refusal.challengeIp}, not from your address; approve it from ` +
          'the machine running weep (or an admin can set auth.challenge.requireSameIp: false)',
      );
    case 'already_approved':
      return new AppError('CONFLICT', 'this login challenge has already been approved');
    case 'bad_nonce':
      return new AppError('FORBIDDEN', 'the approval does not match this login challenge; reload the page');
  }
}

export function describeChallenge(challenge: Challenge): string {
  return (
    `A Weep CLI is asking to sign in as **${challenge.user}** from **${challenge.ip}** ` +
    `at ${new Date(challenge.createdAt).toISOString()}. Approve only if you started it yourself.`
  );
}

/**
 * Weep's challenge login (weep.md §1.6): the CLI creates a challenge and polls it; the user approves it
 * in a signed-in browser; the poll then hands the CLI a JWT for its cookie, once.
 */
export function registerChallengeRoutes(app: GatewayApp, deps: RouteDeps): void {
  const challengeDeps = { store: deps.challenges, now: deps.now };
  const rules = { requireSameIp: deps.config.auth.challenge.requireSameIp };

  app.get(
    '/noauth/v1/challenge_generator/:user',
    {
      config: { access: 'public' },
      // Unauthenticated, and each call stores a challenge: bounded per source address.
      preValidation: createRateLimitHook({
        limiter: deps.challengeRateLimiter,
        what: 'login challenges from your address',
        perMinute: deps.config.gateway.rateLimit.challengesPerMinute,
        subject: byPeerAddress,
      }),
      schema: {
        tags: ['challenge login'],
        summary: 'Start a Weep challenge login for a user',
        params: Type.Object({ user: Type.String({ minLength: 1, maxLength: 320 }) }),
        response: {
          200: Type.Object({ challenge_url: Type.String(), polling_url: Type.String() }),
          400: ErrorBody,
          429: ErrorBody,
        },
      },
    },
    async (request) => {
      const challenge = await createChallenge(
        challengeDeps,
        request.params.user.trim(),
        peerAddress(request),
      );
      const base = publicBaseUrl(deps.config.gateway.publicUrl, request);
      return {
        challenge_url: `${base}/challenge_validator/${challenge.token}`,
        polling_url: `${base}/noauth/v1/challenge_poller/${challenge.token}`,
      };
    },
  );

  app.get(
    '/noauth/v1/challenge_poller/:token',
    {
      config: { access: 'public' },
      schema: {
        tags: ['challenge login'],
        summary: 'Poll a Weep challenge login; returns the JWT once it is approved',
        params: TokenParams,
        response: { 200: PollReply, 400: ErrorBody },
      },
    },
    async (request, reply) => {
      const result = await pollChallenge(challengeDeps, request.params.token, peerAddress(request));
      if (result.status !== 'success') return { status: result.status };
      const iat = Math.floor(deps.now() / 1000);
      const expiration = iat + deps.jwt.expirationMinutes * 60;
      const encoded = await signJwt(
        { email: result.jwtUser, groups: result.groups, iat, exp: expiration },
        deps.jwt.keys,
      );
      void reply.header('cache-control', 'no-store');
      return {
        status: 'success' as const,
        cookie_name: deps.jwt.cookieName,
        expiration,
        encoded_jwt: encoded,
        user: result.user,
        // Weep's cookie jar drops a Secure cookie over http, even on loopback: only claim it on https.
        secure: deps.isSecure(request),
      };
    },
  );

  app.get(
    '/api/v2/challenge_validator/:token',
    {
      schema: {
        tags: ['challenge login'],
        summary: 'What a signed-in browser is asked to approve',
        params: TokenParams,
        response: { 200: ValidatorView, 403: ErrorBody, 404: ErrorBody, 409: ErrorBody, ...commonErrors },
      },
    },
    async (request) => {
      const viewer = request.identity;
      if (!viewer) throw new AppError('UNAUTHENTICATED', 'sign in to approve a login challenge');
      const viewed = await viewChallenge(
        challengeDeps,
        rules,
        request.params.token,
        viewer,
        peerAddress(request),
      );
      if (!('challenge' in viewed)) throw refusalError(viewed);
      const { challenge } = viewed;
      return {
        message: describeChallenge(challenge),
        nonce: challenge.nonce,
        show_approve_button: true,
        user: challenge.user,
        ip: challenge.ip,
        created_at: new Date(challenge.createdAt).toISOString(),
      };
    },
  );

  app.post(
    '/api/v2/challenge_validator/:token',
    {
      // An approval is a sign-in (it hands weep a session): counted with the other sign-ins of the address.
      preValidation: createRateLimitHook({
        limiter: deps.signInRateLimiter,
        what: 'sign-ins from your address',
        perMinute: deps.config.gateway.rateLimit.signInsPerMinute,
        subject: byPeerAddress,
      }),
      schema: {
        tags: ['challenge login'],
        summary: 'Approve a Weep challenge login (once)',
        params: TokenParams,
        body: Type.Object(
          { nonce: Type.String({ minLength: 1, maxLength: 256 }) },
          { additionalProperties: false },
        ),
        response: {
          200: Type.Object({ status: Type.Literal('success'), message: Type.String() }),
          403: ErrorBody,
          404: ErrorBody,
          409: ErrorBody,
          429: ErrorBody,
          ...commonErrors,
        },
      },
    },
    async (request) => {
      const approver = request.identity;
      if (!approver) throw new AppError('UNAUTHENTICATED', 'sign in to approve a login challenge');
      const result = await approveChallenge(
        challengeDeps,
        rules,
        request.params.token,
        approver,
        peerAddress(request),
        request.body.nonce,
      );
      if (!('approved' in result)) throw refusalError(result);
      request.log.info({ user: approver.user, ip: result.approved.ip }, 'weep challenge login approved');
      return {
        status: 'success' as const,
        message: 'Approved: weep is now signed in and will continue by itself. You can close this page.',
      };
    },
  );
}
