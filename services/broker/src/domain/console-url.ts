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

/** Where the console opens: the redirect when given (must be an http(s) URL), else the region's console. */
export function consoleDestination(options: {
  consoleUrl: string;
  region: string;
  redirect?: string | undefined;
}): string {
  if (options.redirect !== undefined && options.redirect !== '') {
    let parsed: URL;
    try {
      parsed = new URL(options.redirect);
    } catch {
      throw new AppError('VALIDATION_FAILED', `redirect is not a URL: ${options.redirect}`);
    }
    if (parsed.protocol !== 'https:' && parsed.protocol !== 'http:') {
      throw new AppError('VALIDATION_FAILED', 'redirect must be an http(s) URL');
    }
    return parsed.toString();
  }
  if (!/^[a-z0-9-]+$/.test(options.region)) {
    throw new AppError('VALIDATION_FAILED', `not a region name: ${options.region}`);
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
