import { AppError } from '@rolecall/shared/errors';

export interface SessionCredentials {
  accessKeyId: string;
  secretAccessKey: string;
  sessionToken: string;
  expiration: Date;
}

/** The federation `getSigninToken` request for a role session (the session JSON is AWS's format). */
export function signinTokenUrl(federationUrl: string, credentials: SessionCredentials): string {
  const url = new URL(federationUrl);
  url.searchParams.set('Action', 'getSigninToken');
  url.searchParams.set(
    'Session',
    JSON.stringify({
      sessionId: credentials.accessKeyId,
      sessionKey: credentials.secretAccessKey,
      sessionToken: credentials.sessionToken,
    }),
  );
  return url.toString();
}

/**
 * Whether a redirect may be a console sign-in's destination: https, on one of the allowed hosts, where
 * `*.example.com` allows every subdomain of example.com (not example.com itself). Anything else would
 * make Rolecall's sign-in URL an open redirect to any site, carrying a fresh console session.
 */
export function isAllowedConsoleHost(host: string, allowedHosts: readonly string[]): boolean {
  const lower = host.toLowerCase();
  return allowedHosts.some((pattern) => {
    const allowed = pattern.toLowerCase();
    return allowed.startsWith('*.') ? lower.endsWith(allowed.slice(1)) : lower === allowed;
  });
}

/** Where the console opens: the redirect when given (https, on an allowed host), else the region's console. */
export function consoleDestination(options: {
  consoleUrl: string;
  region: string;
  redirect?: string | undefined;
  allowedRedirectHosts: readonly string[];
}): string {
  if (options.redirect !== undefined && options.redirect !== '') {
    let parsed: URL;
    try {
      parsed = new URL(options.redirect);
    } catch {
      throw new AppError('VALIDATION_FAILED', 'redirect is not a URL: send a full https:// console URL', {
        context: { field: 'redirect' },
      });
    }
    if (parsed.protocol !== 'https:' || parsed.username !== '' || parsed.password !== '') {
      throw new AppError('VALIDATION_FAILED', 'redirect must be an https:// URL without credentials', {
        context: { field: 'redirect' },
      });
    }
    if (!isAllowedConsoleHost(parsed.hostname, options.allowedRedirectHosts)) {
      throw new AppError(
        'VALIDATION_FAILED',
        `redirect may only land on the AWS console (${options.allowedRedirectHosts.join(', ')}), not ${parsed.hostname}`,
        { context: { field: 'redirect', allowedHosts: options.allowedRedirectHosts } },
      );
    }
    return parsed.toString();
  }
  if (!/^[a-z0-9-]+$/.test(options.region)) {
    throw new AppError('VALIDATION_FAILED', `not a region name: ${options.region}`, {
      context: { field: 'r' },
    });
  }
  return options.consoleUrl.replaceAll('{region}', options.region);
}

/** The sign-in URL the browser opens: federation `login` with the token and the destination. */
export function consoleLoginUrl(options: {
  federationUrl: string;
  issuer: string;
  destination: string;
  signinToken: string;
}): string {
  const url = new URL(options.federationUrl);
  url.searchParams.set('Action', 'login');
  url.searchParams.set('Issuer', options.issuer);
  url.searchParams.set('Destination', options.destination);
  url.searchParams.set('SigninToken', options.signinToken);
  return url.toString();
}
