import type { RolecallConfig } from '@rolecall/shared/config';
import { AppError } from '@rolecall/shared/errors';
import { decodeJwt } from 'jose';
import * as client from 'openid-client';
import { claimAt, groupsFromClaim } from './oidc-claims.js';

export type OidcConfig = NonNullable<RolecallConfig['auth']['oidc']>;

/** What the browser must keep between the redirect to the provider and the callback (sealed in a cookie). */
export interface OidcTransaction {
  state: string;
  nonce: string;
  codeVerifier: string;
  /** A path on this gateway to land on after sign-in. */
  returnTo: string;
}

/** Who the provider says signed in, and what the gateway keeps to renew the session and to sign out. */
export interface OidcSignedIn {
  user: string;
  groups: string[];
  refreshToken?: string;
  idToken?: string;
}

export interface OidcSignIn {
  readonly providerName: string;
  /** The provider's authorization URL for a new sign-in, and the transaction the callback needs. */
  start(returnTo: string, redirectUri: string): Promise<{ url: URL; transaction: OidcTransaction }>;
  /** Redeems the callback's code: state, PKCE, ID token (signature, issuer, audience, expiry, nonce) checked. */
  finish(callbackUrl: URL, transaction: OidcTransaction): Promise<OidcSignedIn>;
  /** A fresh identity from the refresh token (the groups read again). */
  refresh(refreshToken: string): Promise<OidcSignedIn>;
  /** Where to send the browser to end the provider's session too; undefined when it has no such endpoint. */
  endSessionUrl(options: { idTokenHint?: string; postLogoutRedirectUri: string }): Promise<URL | undefined>;
}

export interface OidcSignInOptions {
  config: OidcConfig;
  /** http issuers are allowed outside production only (tests, a provider on the same host). */
  allowHttp: boolean;
  /** Unix milliseconds; the ID token's expiry is judged by this clock. */
  now: () => number;
}

/**
 * OpenID Connect sign-in (authorization code + PKCE) with openid-client. Discovery happens on first use and
 * is kept; a provider that cannot be reached then is a 503 naming it, retried on the next sign-in.
 */
export function createOidcSignIn(options: OidcSignInOptions): OidcSignIn {
  const { config } = options;
  let discovered: Promise<client.ServerMetadata> | undefined;
  const serverMetadata = (): Promise<client.ServerMetadata> => {
    discovered ??= client
      .discovery(
        new URL(config.issuer),
        config.clientId,
        undefined,
        undefined,
        options.allowHttp ? { execute: [client.allowInsecureRequests] } : undefined,
      )
      .then((configuration) => configuration.serverMetadata())
      .catch((error: unknown) => {
        discovered = undefined;
        throw new AppError(
          'OIDC_PROVIDER_UNAVAILABLE',
          `the OpenID provider ${config.issuer} could not be discovered; check auth.oidc.issuer and that it is reachable`,
          { cause: error },
        );
      });
    return discovered;
  };
  // A Configuration per use, so the ID token is judged by the gateway's clock (tests move it).
  const configuration = async (): Promise<client.Configuration> => {
    const metadata: Partial<client.ClientMetadata> = {
      [client.clockSkew]: Math.round((options.now() - Date.now()) / 1000),
    };
    const auth =
      config.clientSecret === undefined ? client.None() : client.ClientSecretBasic(config.clientSecret);
    const result = new client.Configuration(await serverMetadata(), config.clientId, metadata, auth);
    if (options.allowHttp) client.allowInsecureRequests(result);
    return result;
  };

  const identityOf = async (
    cfg: client.Configuration,
    tokens: client.TokenEndpointResponse & client.TokenEndpointResponseHelpers,
  ): Promise<OidcSignedIn> => {
    const idClaims = tokens.claims();
    if (!idClaims) throw signInFailed('the provider returned no ID token');
    const user = claimAt(idClaims, config.userClaim);
    if (typeof user !== 'string' || user.length === 0 || user.length > 320) {
      throw signInFailed(`the ID token has no usable ${config.userClaim} claim`);
    }
    let groupClaims: Record<string, unknown> = idClaims;
    if (config.groupsFrom === 'access_token') {
      try {
        groupClaims = decodeJwt(tokens.access_token);
      } catch {
        throw signInFailed('auth.oidc.groupsFrom is access_token, but the access token is not a JWT');
      }
    } else if (config.groupsFrom === 'userinfo') {
      groupClaims = await client.fetchUserInfo(cfg, tokens.access_token, idClaims.sub);
    }
    return {
      user,
      groups: groupsFromClaim(claimAt(groupClaims, config.groupsClaim)),
      ...(tokens.refresh_token ? { refreshToken: tokens.refresh_token } : {}),
      ...(tokens.id_token ? { idToken: tokens.id_token } : {}),
    };
  };

  return {
    providerName: config.providerName,
    async start(returnTo, redirectUri) {
      const cfg = await configuration();
      const transaction: OidcTransaction = {
        state: client.randomState(),
        nonce: client.randomNonce(),
        codeVerifier: client.randomPKCECodeVerifier(),
        returnTo,
      };
      const url = client.buildAuthorizationUrl(cfg, {
        redirect_uri: redirectUri,
        scope: [...new Set(['openid', ...config.scopes])].join(' '),
        code_challenge: await client.calculatePKCECodeChallenge(transaction.codeVerifier),
        code_challenge_method: 'S256',
        state: transaction.state,
        nonce: transaction.nonce,
        ...(config.scopes.includes('offline_access') ? { prompt: 'consent' } : {}),
      });
      return { url, transaction };
    },
    async finish(callbackUrl, transaction) {
      const cfg = await configuration();
      const tokens = await redeem(() =>
        client.authorizationCodeGrant(cfg, callbackUrl, {
          pkceCodeVerifier: transaction.codeVerifier,
          expectedState: transaction.state,
          expectedNonce: transaction.nonce,
          idTokenExpected: true,
        }),
      );
      return identityOf(cfg, tokens);
    },
    async refresh(refreshToken) {
      const cfg = await configuration();
      return identityOf(cfg, await redeem(() => client.refreshTokenGrant(cfg, refreshToken)));
    },
    async endSessionUrl({ idTokenHint, postLogoutRedirectUri }) {
      const cfg = await configuration();
      if (!cfg.serverMetadata().end_session_endpoint) return undefined;
      return client.buildEndSessionUrl(cfg, {
        post_logout_redirect_uri: postLogoutRedirectUri,
        ...(idTokenHint ? { id_token_hint: idTokenHint } : {}),
      });
    },
  };
}

function signInFailed(reason: string, cause?: unknown): AppError {
  return new AppError(
    'OIDC_SIGN_IN_FAILED',
    `sign-in with the OpenID provider failed: ${reason}; sign in again`,
    {
      ...(cause === undefined ? {} : { cause }),
    },
  );
}

/**
 * Token endpoint calls: what the provider or the token says is wrong (a used code, a wrong audience, an
 * expired or foreign token) is the sign-in failing, 401; a provider that cannot be reached is a 503.
 */
async function redeem<T>(call: () => Promise<T>): Promise<T> {
  try {
    return await call();
  } catch (error) {
    if (error instanceof client.ResponseBodyError || error instanceof client.AuthorizationResponseError) {
      throw signInFailed(`the provider answered ${error.error}`, error);
    }
    if (error instanceof client.ClientError) {
      // openid-client's message is generic ("unexpected JWT claim value encountered"); the cause names the claim.
      const detail = error.cause instanceof Error ? `: ${error.cause.message}` : '';
      throw signInFailed(`${error.message}${detail}`, error);
    }
    throw new AppError('OIDC_PROVIDER_UNAVAILABLE', 'the OpenID provider did not answer the token request', {
      cause: error,
    });
  }
}
