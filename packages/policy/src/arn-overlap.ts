/*
 * Whether a policy's Resource pattern can name a resource of an ARN format from the IAM data. Both sides are
 * patterns: the policy's has `*`, `?` and policy variables (`${aws:username}`), the format has placeholders
 * (`arn:${Partition}:s3:::${BucketName}/${ObjectName}`). They overlap when some ARN matches both, which is
 * the non-emptiness of the intersection of two glob languages, decided here on the pair of positions.
 */

/** A character class a token accepts: one literal (lower-cased), any character, or any but `/`. */
type CharClass = { kind: 'lit'; char: string } | { kind: 'any' } | { kind: 'not_slash' };

/** One position of a pattern: exactly one character of a class, or a run (possibly empty) of them. */
interface Token {
  cls: CharClass;
  repeat: boolean;
}

const ANY: CharClass = { kind: 'any' };
const NOT_SLASH: CharClass = { kind: 'not_slash' };
const lit = (char: string): Token => ({ cls: { kind: 'lit', char: char.toLowerCase() }, repeat: false });

/** IAM's escapes for the characters that would start a wildcard or variable. */
const ESCAPES: Record<string, string> = { '${*}': '*', '${?}': '?', '${$}': '$' };

/** A policy's Resource pattern: `*` any run (across `/`), `?` one character, `${var}` any run. */
function policyTokens(pattern: string): Token[] {
  const out: Token[] = [];
  for (let i = 0; i < pattern.length;) {
    const rest = pattern.slice(i);
    const escape = Object.keys(ESCAPES).find((e) => rest.startsWith(e));
    if (escape !== undefined) {
      out.push(lit(ESCAPES[escape] ?? ''));
      i += escape.length;
      continue;
    }
    const char = pattern[i] ?? '';
    if (char === '$' && pattern[i + 1] === '{' && pattern.indexOf('}', i) > i) {
      out.push({ cls: ANY, repeat: true });
      i = pattern.indexOf('}', i) + 1;
    } else if (char === '*') {
      out.push({ cls: ANY, repeat: true });
      i += 1;
    } else if (char === '?') {
      out.push({ cls: ANY, repeat: false });
      i += 1;
    } else {
      out.push(lit(char));
      i += 1;
    }
  }
  return out;
}

/**
 * An ARN format's part: a placeholder is one or more characters, and none of them `/` when the service's
 * formats show it delimited by one (`${BucketName}` in `${BucketName}/${ObjectName}`): that is what tells
 * a bucket from an object, a table from its index. Other placeholders (role paths, log groups) may hold `/`.
 */
function formatTokens(format: string, slashFree: ReadonlySet<string>): Token[] {
  const out: Token[] = [];
  const placeholder = /\$\{([^}]*)\}/g;
  let last = 0;
  for (const match of format.matchAll(placeholder)) {
    for (const char of format.slice(last, match.index)) out.push(lit(char));
    const cls = slashFree.has(match[1] ?? '') ? NOT_SLASH : ANY;
    out.push({ cls, repeat: false }, { cls, repeat: true });
    last = match.index + match[0].length;
  }
  for (const char of format.slice(last)) out.push(lit(char));
  return out;
}

/** The placeholders that some of the formats follow with `/`: they hold no `/` themselves. */
export function slashDelimitedPlaceholders(formats: readonly string[]): Set<string> {
  const out = new Set<string>();
  for (const format of formats) {
    for (const match of format.matchAll(/\$\{([^}]*)\}\//g)) out.add(match[1] ?? '');
  }
  return out;
}

function classesMeet(a: CharClass, b: CharClass): boolean {
  if (a.kind === 'lit' && b.kind === 'lit') return a.char === b.char;
  if (a.kind === 'lit') return b.kind === 'any' || a.char !== '/';
  if (b.kind === 'lit') return a.kind === 'any' || b.char !== '/';
  return true;
}

/** Whether some string matches both token lists (breadth-first over pairs of positions). */
function intersects(p: readonly Token[], f: readonly Token[]): boolean {
  const seen = new Set<number>();
  const width = f.length + 1;
  const queue: [number, number][] = [[0, 0]];
  while (queue.length > 0) {
    const [i, j] = queue.pop() ?? [0, 0];
    const key = i * width + j;
    if (seen.has(key)) continue;
    seen.add(key);
    if (i === p.length && j === f.length) return true;
    const a = p[i];
    const b = f[j];
    if (a?.repeat) queue.push([i + 1, j]);
    if (b?.repeat) queue.push([i, j + 1]);
    if (a && b && classesMeet(a.cls, b.cls)) {
      const ni = a.repeat ? i : i + 1;
      const nj = b.repeat ? j : j + 1;
      if (ni !== i || nj !== j) queue.push([ni, nj]);
      // Two runs that both consume a character stay put; one step of either gets there as well.
    }
  }
  return false;
}

/** `arn:partition:service:region:account:resource`, the resource keeping its own colons. */
function splitArn(arn: string): string[] | undefined {
  const parts = arn.split(':');
  if (parts.length < 6 || parts[0]?.toLowerCase() !== 'arn') return undefined;
  return [...parts.slice(1, 5), parts.slice(5).join(':')];
}

/**
 * Whether the policy Resource `pattern` can name a resource of the IAM data's ARN `format`. `*` names
 * everything; a pattern with fewer than six colon-separated parts is compared as one string.
 */
export function resourceMayMatchFormat(
  pattern: string,
  format: string,
  slashFree: ReadonlySet<string> = new Set(),
): boolean {
  if (pattern === '*') return true;
  const p = splitArn(pattern);
  const f = splitArn(format);
  if (f === undefined) return true;
  // `arn:aws:*` and the like: a wildcard there may span the colons, so compare the whole strings.
  if (p === undefined) return intersects(policyTokens(pattern), formatTokens(format, slashFree));
  return p.every((part, index) => intersects(policyTokens(part), formatTokens(f[index] ?? '', slashFree)));
}
