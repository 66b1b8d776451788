import { setImmediate as nextTurn } from 'node:timers/promises';
import { AppError } from '@rolecall/shared/errors';
import { RE2JS, RE2JSException, RE2JSSyntaxException } from 're2js';

/** Longest filter pattern accepted; ConsoleMe table filters are short column searches. */
export const MAX_PATTERN_LENGTH = 256;
/**
 * Most instructions a compiled filter may have. RE2 matches in time linear in the input, but the
 * factor is the program's size, and counted repetitions multiply it (`.{0,1000}` is 2,003
 * instructions): this keeps one row's test short. Column searches such as `^arn:aws:iam::\d{12}:`
 * compile to a few dozen.
 */
export const MAX_PROGRAM_SIZE = 2_000;

const RE2_SYNTAX_URL = 'https://github.com/google/re2/wiki/Syntax';

/** A user's filter, compiled: whether it occurs anywhere in a value, ignoring case. */
export interface SearchRegex {
  test(value: string): boolean;
}

/**
 * Compiles a user-supplied search regex with RE2 semantics (re2js, pure JavaScript), whose matching
 * time is linear in the input whatever the pattern: no pattern can backtrack exponentially, so none
 * has to be refused for its shape. What RE2 does not have (back-references, lookarounds) is refused as
 * invalid syntax, with a hint.
 */
export function compileSearchRegex(source: string, field: string): SearchRegex {
  const refuse = (why: string) =>
    new AppError('VALIDATION_FAILED', `filter ${field}: ${why}`, { context: { field } });
  if (source.length > MAX_PATTERN_LENGTH) {
    throw refuse(`pattern is longer than ${MAX_PATTERN_LENGTH} characters`);
  }
  let regex: RE2JS;
  try {
    // Parsed without flags first: re2js quotes a syntax error from the pattern it parsed, and with
    // CASE_INSENSITIVE that starts with an `(?i)` the user never wrote.
    RE2JS.compile(source);
    regex = RE2JS.compile(source, RE2JS.CASE_INSENSITIVE);
  } catch (error) {
    if (error instanceof RE2JSSyntaxException) throw refuse(describeSyntaxError(error));
    if (error instanceof RE2JSException) {
      throw refuse(
        `not a valid regular expression (${error.message}); filters use RE2 syntax, see ${RE2_SYNTAX_URL}`,
      );
    }
    throw error;
  }
  if (regex.programSize() > MAX_PROGRAM_SIZE) {
    throw refuse(
      `pattern is too large once compiled (its repetition counts multiply it); use * or + instead of large {n,m} counts`,
    );
  }
  return { test: (value) => regex.test(value) };
}

/** Constructs JavaScript and PCRE users reach for that RE2 leaves out, by how the failing text starts. */
const UNSUPPORTED = [
  {
    starts: ['\\1', '\\2', '\\3', '\\4', '\\5', '\\6', '\\7', '\\8', '\\9', '\\k'],
    what: 'back-references (\\1, \\k<name>)',
  },
  { starts: ['(?=', '(?!'], what: 'lookaheads ((?=…), (?!…))' },
  { starts: ['(?<=', '(?<!'], what: 'lookbehinds ((?<=…), (?<!…))' },
] as const;

function describeSyntaxError(error: RE2JSSyntaxException): string {
  const fragment = error.getPattern() ?? '';
  const unsupported = UNSUPPORTED.find(({ starts }) => starts.some((start) => fragment.startsWith(start)));
  if (unsupported) {
    return `${unsupported.what} are not supported: filters use RE2 syntax, which matches in linear time (see ${RE2_SYNTAX_URL})`;
  }
  const where = fragment === '' ? '' : ` at \`${fragment}\``;
  return `not a valid regular expression (${error.getDescription()}${where}); filters use RE2 syntax, see ${RE2_SYNTAX_URL}`;
}

/** How long a scan may hold the event loop before it lets other requests run. */
export const DEFAULT_SLICE_MS = 5;

/**
 * Paces a filtering scan: one costly request may neither hold the process (it yields to other
 * requests every slice) nor run without end (it is refused once its budget is spent).
 */
export interface ScanBudget {
  /**
   * Await once per row, before testing it: rejects with VALIDATION_FAILED once the scan has run for
   * its budget, and gives other requests a turn of the event loop when it has held it for a slice.
   */
  spend(): Promise<void>;
}

export function createScanBudget(options: {
  maxMs: number;
  sliceMs?: number;
  now?: () => number;
  /** Lets queued I/O (other requests) run; a `setImmediate` by default. */
  yieldToEventLoop?: () => Promise<unknown>;
}): ScanBudget {
  const now = options.now ?? (() => performance.now());
  const sliceMs = options.sliceMs ?? DEFAULT_SLICE_MS;
  const yieldToEventLoop = options.yieldToEventLoop ?? (() => nextTurn());
  const deadline = now() + options.maxMs;
  let sliceStart = now();
  return {
    async spend() {
      // A clock read per row is cheap next to the row's test; checking every n rows instead would let
      // n slow rows run past the deadline before anyone looked.
      const at = now();
      if (at >= deadline) {
        throw new AppError(
          'VALIDATION_FAILED',
          'the filters are too costly to evaluate over the whole inventory; use simpler or more specific patterns',
        );
      }
      if (at - sliceStart < sliceMs) return;
      await yieldToEventLoop();
      sliceStart = now();
    },
  };
}
