/** Only a path on this site may be a post-sign-in destination (never `//evil.example` or a URL). */
export function safeNext(value: string | null): string {
  if (!value || !value.startsWith('/') || value.startsWith('//') || value.startsWith('/\\')) return '/';
  return value;
}
