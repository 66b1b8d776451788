import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { decodeJwt, exportJWK, generateKeyPair, SignJWT, type JWTPayload } from 'jose';
import Provider from 'oidc-provider';

export interface TestUser {
  email: string;
  groups: string[];
}

/** How the front rewrites the ID token in the provider's token answers; `undefined`: passes it through. */
export type IdTokenForgery = (claims: JWTPayload) => JWTPayload;

export interface RunningOidcProvider {
  issuer: string;
  clientId: string;
  clientSecret: string;
  /** Who the next interaction signs in as. */
  signInAs(user: TestUser): void;
  /** From now on, ID tokens the token endpoint returns are re-signed with `forge` applied (a man in the middle). */
  forgeIdTokens(forge: IdTokenForgery | undefined): void;
  /** Changes a user's groups at the provider, as an admin would between two refreshes. */
  setGroups(email: string, groups: string[]): void;
  stop(): Promise<void>;
}

/**
 * A real OpenID provider (`oidc-provider`) on 127.0.0.1, one confidential client for the gateway. Its
 * interactions sign in whoever `signInAs` named, with no form, and grant what was asked. It is reached
 * through a front on the issuer's address that passes everything through, but can re-sign the token
 * endpoint's ID tokens with changed claims under a key it adds to the JWKS: a token the provider's
 * discovery vouches for, only with a wrong audience, issuer or expiry, which the gateway must refuse.
 */
export async function startOidcProvider(options: {
  redirectUri: string;
  postLogoutRedirectUri: string;
}): Promise<RunningOidcProvider> {
  const front = createServer();
  await new Promise<void>((resolve) => front.listen(0, '127.0.0.1', resolve));
  const issuer = `http://127.0.0.1:${(front.address() as AddressInfo).port}`;
  const clientId = 'rolecall';
  const clientSecret = 'rolecall-test-client-secret';
  const users = new Map<string, TestUser>();
  let current: TestUser | undefined;
  let forge: IdTokenForgery | undefined;
  const forger = await generateKeyPair('RS256');
  const forgerJwk = { ...(await exportJWK(forger.publicKey)), kid: 'test-forger', alg: 'RS256', use: 'sig' };

  const provider = new Provider(issuer, {
    clients: [
      {
        client_id: clientId,
        client_secret: clientSecret,
        redirect_uris: [options.redirectUri],
        post_logout_redirect_uris: [options.postLogoutRedirectUri],
        grant_types: ['authorization_code', 'refresh_token'],
        response_types: ['code'],
      },
    ],
    claims: { openid: ['sub'], email: ['email', 'groups'] },
    // Claims in the ID token even when an access token is issued too (the gateway reads groups from it).
    conformIdTokenClaims: false,
    features: { devInteractions: { enabled: false }, rpInitiatedLogout: { enabled: true } },
    interactions: { url: (_ctx, interaction) => `/interaction/${interaction.uid}` },
    cookies: { keys: ['test-cookie-key-0123456789'] },
    ttl: {
      Interaction: 600,
      Session: 3600,
      Grant: 3600,
      AccessToken: 3600,
      RefreshToken: 86400,
      IdToken: 3600,
    },
    pkce: { required: () => true },
    findAccount: (_ctx, id) => ({
      accountId: id,
      claims: () => ({ sub: id, email: id, groups: users.get(id)?.groups ?? [] }),
    }),
  });
  const providerHandler = provider.callback();

  const interaction = async (req: IncomingMessage, res: ServerResponse) => {
    const details = await provider.interactionDetails(req, res);
    if (details.prompt.name === 'login') {
      if (!current) throw new Error('startOidcProvider: call signInAs before signing in');
      users.set(current.email, current);
      await provider.interactionFinished(
        req,
        res,
        { login: { accountId: current.email } },
        { mergeWithLastSubmission: false },
      );
      return;
    }
    const accountId = details.session?.accountId;
    const grant = details.grantId
      ? await provider.Grant.find(details.grantId)
      : new provider.Grant({ accountId, clientId: details.params.client_id as string });
    if (!grant) throw new Error('the interaction names a grant the provider does not have');
    grant.addOIDCScope(String(details.params.scope));
    grant.addOIDCClaims(['email', 'groups']);
    const grantId = await grant.save();
    await provider.interactionFinished(req, res, { consent: { grantId } }, { mergeWithLastSubmission: true });
  };

  const readBody = async (req: IncomingMessage) => {
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    return Buffer.concat(chunks);
  };

  /** The token and JWKS answers rewritten; everything else the provider answers itself. */
  const rewrite = async (req: IncomingMessage, res: ServerResponse, path: string) => {
    const body = req.method === 'POST' ? await readBody(req) : undefined;
    const headers: Record<string, string> = {};
    for (const name of ['authorization', 'content-type', 'accept']) {
      const value = req.headers[name];
      if (typeof value === 'string') headers[name] = value;
    }
    const upstream = await fetch(`${internal}${path}`, {
      method: req.method ?? 'GET',
      headers,
      ...(body ? { body } : {}),
    });
    const text = await upstream.text();
    let answer = text;
    if (upstream.ok && path.startsWith('/jwks')) {
      const jwks = JSON.parse(text) as { keys: object[] };
      answer = JSON.stringify({ keys: [...jwks.keys, forgerJwk] });
    } else if (upstream.ok && path.startsWith('/token') && forge) {
      const tokens = JSON.parse(text) as { id_token?: string };
      if (tokens.id_token) {
        const claims = forge(decodeJwt(tokens.id_token));
        tokens.id_token = await new SignJWT(claims)
          .setProtectedHeader({ alg: 'RS256', kid: 'test-forger' })
          .sign(forger.privateKey);
      }
      answer = JSON.stringify(tokens);
    }
    res.writeHead(upstream.status, {
      'content-type': upstream.headers.get('content-type') ?? 'application/json',
      'cache-control': 'no-store',
    });
    res.end(answer);
  };

  // The provider itself, on a port of its own, for the front's rewritten calls.
  const inner: Server = createServer((req, res) => void providerHandler(req, res));
  await new Promise<void>((resolve) => inner.listen(0, '127.0.0.1', resolve));
  const internal = `http://127.0.0.1:${(inner.address() as AddressInfo).port}`;
  // The inner server answers for the issuer's URL: the front passes Host on.
  provider.proxy = false;

  front.on('request', (req: IncomingMessage, res: ServerResponse) => {
    const path = req.url ?? '/';
    const handle = path.startsWith('/interaction/')
      ? interaction(req, res)
      : path.startsWith('/token') || path.startsWith('/jwks')
        ? rewrite(req, res, path)
        : Promise.resolve(providerHandler(req, res));
    handle.catch((error: unknown) => {
      res.writeHead(500, { 'content-type': 'text/plain' });
      res.end(error instanceof Error ? error.message : 'interaction failed');
    });
  });

  return {
    issuer,
    clientId,
    clientSecret,
    signInAs(user) {
      current = user;
      users.set(user.email, user);
    },
    forgeIdTokens(next) {
      forge = next;
    },
    setGroups(email, groups) {
      const user = users.get(email);
      if (user) users.set(email, { ...user, groups });
    },
    async stop() {
      front.closeAllConnections();
      inner.closeAllConnections();
      await Promise.all([
        new Promise((resolve) => front.close(resolve)),
        new Promise((resolve) => inner.close(resolve)),
      ]);
    },
  };
}
