import { AppError } from '@rolecall/shared/errors';

/** Longest filter pattern accepted; ConsoleMe table filters are short column searches. */
export const MAX_PATTERN_LENGTH = 256;
/** More unbounded quantifiers than this in one pattern make polynomial backtracking too costly. */
export const MAX_UNBOUNDED_QUANTIFIERS = 4;

/**
 * Compiles a user-supplied, case-insensitive search regex, refusing what JavaScript's backtracking
 * engine cannot run safely: invalid syntax, back-references, and a repeated group that itself
 * repeats or alternates (`(a+)+`, `(a|a)*`), the shapes that backtrack exponentially. JavaScript
 * regexes cannot be interrupted, so this check happens before the first match, and the caller adds a
 * scan budget for what slips through.
 */
export function compileSearchRegex(source: string, field: string): RegExp {
  const refuse = (why: string) =>
    new AppError('VALIDATION_FAILED', `filter ${field}: ${why}`, { context: { field } });
  if (source.length > MAX_PATTERN_LENGTH) {
    throw refuse(`pattern is longer than ${MAX_PATTERN_LENGTH} characters`);
  }
  let regex: RegExp;
  try {
    regex = new RegExp(source, 'i');
  } catch (error) {
    throw refuse(`not a valid regular expression (${(error as Error).message})`);
  }
  const problem = findCostlyConstruct(source);
  if (problem) throw refuse(problem);
  return regex;
}

interface GroupFrame {
  hasQuantifier: boolean;
  hasAlternation: boolean;
}

/** A small scanner over the pattern's tokens; returns why it is costly, or undefined. */
export function findCostlyConstruct(source: string): string | undefined {
  const stack: GroupFrame[] = [{ hasQuantifier: false, hasAlternation: false }];
  let unbounded = 0;
  let closed: GroupFrame | undefined;
  let i = 0;
  while (i < source.length) {
    const char = source[i] as string;
    let justClosed: GroupFrame | undefined;
    if (char === '\\') {
      const next = source[i + 1] ?? '';
      if (/[1-9]/.test(next) || next === 'k') return 'back-references are not supported';
      i += 2;
    } else if (char === '[') {
      i = skipClass(source, i);
    } else if (char === '(') {
      stack.push({ hasQuantifier: false, hasAlternation: false });
      i += source.startsWith('(?', i) ? skipGroupPrefix(source, i) : 1;
    } else if (char === ')') {
      const frame = stack.length > 1 ? stack.pop() : undefined;
      justClosed = frame;
      const parent = stack[stack.length - 1];
      if (frame && parent) {
        parent.hasQuantifier ||= frame.hasQuantifier;
        parent.hasAlternation ||= frame.hasAlternation;
      }
      i += 1;
    } else if (char === '|') {
      (stack[stack.length - 1] as GroupFrame).hasAlternation = true;
      i += 1;
    } else if (char === '*' || char === '+' || char === '?' || char === '{') {
      const quantifier = readQuantifier(source, i);
      if (quantifier) {
        const frame = stack[stack.length - 1] as GroupFrame;
        frame.hasQuantifier = true;
        if (quantifier.unbounded) unbounded += 1;
        if (quantifier.repeats && closed && (closed.hasQuantifier || closed.hasAlternation)) {
          return 'a repeated group may not itself contain a repetition or alternation (e.g. (a+)+)';
        }
        i += quantifier.length;
      } else {
        i += 1;
      }
    } else {
      i += 1;
    }
    closed = justClosed;
    if (unbounded > MAX_UNBOUNDED_QUANTIFIERS) {
      return `more than ${MAX_UNBOUNDED_QUANTIFIERS} unbounded repetitions (*, +, {n,})`;
    }
  }
  return undefined;
}

function skipClass(source: string, start: number): number {
  let i = start + 1;
  if (source[i] === '^') i += 1;
  if (source[i] === ']') i += 1;
  while (i < source.length && source[i] !== ']') i += source[i] === '\\' ? 2 : 1;
  return i + 1;
}

function skipGroupPrefix(source: string, start: number): number {
  const named = /^\(\?<[A-Za-z_$][\w$]*>/.exec(source.slice(start));
  if (named) return named[0].length;
  const lookaround = /^\(\?(?:[:=!]|<[=!])/.exec(source.slice(start));
  return lookaround ? lookaround[0].length : 1;
}

function readQuantifier(
  source: string,
  start: number,
): { length: number; unbounded: boolean; repeats: boolean } | undefined {
  const char = source[start];
  const lazy = (end: number) => (source[end] === '?' ? 1 : 0);
  if (char === '*' || char === '+') return { length: 1 + lazy(start + 1), unbounded: true, repeats: true };
  if (char === '?') return { length: 1 + lazy(start + 1), unbounded: false, repeats: false };
  const braces = /^\{(\d+)(,(\d*))?\}/.exec(source.slice(start));
  if (!braces) return undefined;
  const max = braces[2] === undefined ? Number(braces[1]) : braces[3] === '' ? Infinity : Number(braces[3]);
  return {
    length: braces[0].length + lazy(start + braces[0].length),
    unbounded: max === Infinity,
    repeats: max > 1,
  };
}

/** Stops a filtering scan that has run too long, so one costly request cannot hold the process. */
export interface ScanBudget {
  /** Call once per row tested; throws VALIDATION_FAILED when the budget is spent. */
  spend(): void;
}

export function createScanBudget(options: {
  maxMs: number;
  now?: () => number;
  checkEvery?: number;
}): ScanBudget {
  const now = options.now ?? (() => performance.now());
  const checkEvery = options.checkEvery ?? 256;
  const deadline = now() + options.maxMs;
  let count = 0;
  return {
    spend() {
      count += 1;
      if (count % checkEvery !== 0) return;
      if (now() > deadline) {
        throw new AppError(
          'VALIDATION_FAILED',
          'the filters are too costly to evaluate over the whole inventory; use simpler or more specific patterns',
        );
      }
    },
  };
}
