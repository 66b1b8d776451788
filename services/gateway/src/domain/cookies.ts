/** The value of one cookie from a Cookie header, or undefined when it is not there. */
export function readCookie(header: string | string[] | undefined, name: string): string | undefined {
  const headers = header === undefined ? [] : Array.isArray(header) ? header : [header];
  for (const line of headers) {
    for (const pair of line.split(';')) {
      const at = pair.indexOf('=');
      if (at === -1) continue;
      if (pair.slice(0, at).trim() !== name) continue;
      const raw = pair.slice(at + 1).trim();
      const unquoted = raw.startsWith('"') && raw.endsWith('"') && raw.length >= 2 ? raw.slice(1, -1) : raw;
      try {
        return decodeURIComponent(unquoted);
      } catch {
        return unquoted;
      }
    }
  }
  return undefined;
}
