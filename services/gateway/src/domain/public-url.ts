/**
 * The URL people and Weep reach the gateway at: `gateway.publicUrl` when configured, else the address
 * the request came in on. No trailing slash (Weep concatenates paths to it).
 */
export function publicBaseUrl(configured: string | undefined, request: { protocol: string; host: string }) {
  const base = configured ?? `${request.protocol}://${request.host}`;
  return base.replace(/\/+$/, '');
}

export const isHttps = (url: string) => url.toLowerCase().startsWith('https://');
