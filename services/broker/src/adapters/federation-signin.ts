import { AppError } from '@rolecall/shared/errors';
import { signinTokenUrl } from '../domain/console-url.js';
import type { SigninTokenSource } from '../domain/ports.js';

/**
 * The federation endpoint's getSigninToken over HTTPS (or the demo stand-in). The request URL carries
 * the session secret, so neither it nor the response body ever goes into an error.
 */
export function createFederationSignin(options: {
  federationUrl: string;
  fetch?: typeof fetch;
  timeoutMs?: number;
}): SigninTokenSource {
  const doFetch = options.fetch ?? fetch;
  return {
    async getSigninToken(credentials) {
      let response: Response;
      try {
        response = await doFetch(signinTokenUrl(options.federationUrl, credentials), {
          signal: AbortSignal.timeout(options.timeoutMs ?? 10_000),
        });
      } catch (error) {
        throw new AppError('UPSTREAM_FAILED', `federation endpoint ${options.federationUrl} unreachable`, {
          context: { reason: (error as Error)?.name ?? 'error' },
        });
      }
      if (!response.ok) {
        throw new AppError(
          'UPSTREAM_FAILED',
          `federation endpoint answered getSigninToken with HTTP ${response.status}`,
          { context: { status: response.status } },
        );
      }
      const body = (await response.json().catch(() => undefined)) as { SigninToken?: unknown } | undefined;
      if (typeof body?.SigninToken !== 'string' || body.SigninToken === '') {
        throw new AppError('UPSTREAM_FAILED', 'federation endpoint returned no SigninToken');
      }
      return body.SigninToken;
    },
  };
}
