import type { AppError } from '@rolecall/shared/errors';
import { describe, expect, it } from 'vitest';
import { MAX_PATTERN_LENGTH, compileSearchRegex, createScanBudget } from './index.js';

const ARN = 'arn:aws:iam::123456789012:role/service/deploy-bot';

/** What compiling a pattern comes to: accepted, or the refusal's code and message. */
function refusalOf(pattern: string): { code: string; message: string; field: unknown } | 'accepted' {
  try {
    compileSearchRegex(pattern, 'arn');
    return 'accepted';
  } catch (error) {
    const appError = error as AppError;
    return { code: appError.code, message: appError.message, field: appError.context?.field };
  }
}

describe('compileSearchRegex', () => {
  it.each([
    ['DEPLOY', ARN, true],
    ['deploy', ARN.toUpperCase(), true],
    ['^aws::iam::role$', 'AWS::IAM::Role', true],
    ['^aws::iam::role$', 'AWS::IAM::RoleX', false],
    ['^arn:aws:iam::\\d{12}:role/(prod|dev)-', 'ARN:AWS:IAM::123456789012:ROLE/DEV-x', true],
    ['^arn:aws:iam::\\d{12}:role/(prod|dev)-', 'arn:aws:iam::123456789012:role/qa-x', false],
    ['role/service/', ARN, true],
    ['^role/', ARN, false],
    ['PROD|dev', 'dev', true],
    ['(?P<name>deploy)-bot$', ARN, true],
    ['(?<name>deploy)-bot$', ARN, true],
    ['[[:digit:]]{12}', ARN, true],
  ])('searches %s anywhere in %s ignoring case: %s', (pattern, value, expected) => {
    expect(compileSearchRegex(pattern, 'arn').test(value)).toBe(expected);
  });

  // Each of these takes a backtracking engine exponential (or high polynomial) time on a value that
  // almost matches; RE2 answers in one pass, so they are ordinary patterns now.
  const almost = 'a'.repeat(5_000);
  it.each([
    ['.?'.repeat(18) + '!', `${ARN}${almost}`, false],
    ['.?'.repeat(18) + '!', `${ARN}!`, true],
    ['.*.*.*.*!', almost, false],
    ['.*.*.*.*!', `${almost}!`, true],
    ['(a+)+$', `${almost}!`, false],
    ['(a+)+$', almost, true],
    ['(a+)+!', almost, false],
    ['(a*)*b', almost, false],
    ['^(a|aa)+$', `${almost}!`, false],
    ['(\\w|\\d)*x', almost, false],
    ['(?:a|aa){2,}!', almost, false],
    ['(x+x+)+y', 'x'.repeat(5_000), false],
    ['.*a.*b.*c.*d.*e.*f!', 'abcdef'.repeat(800), false],
  ])('compiles %s and matches it in one pass (case %#)', (pattern, value, expected) => {
    expect(compileSearchRegex(pattern, 'arn').test(value)).toBe(expected);
  });

  it.each([
    ['(a)\\1', /back-references .* not supported.*RE2/],
    ['(?P<n>a)\\k<n>', /back-references .* not supported/],
    ['role(?=/)', /lookaheads .* not supported/],
    ['role(?!/)', /lookaheads .* not supported/],
    ['(?<=role/)deploy', /lookbehinds .* not supported/],
    ['(?<!x)deploy', /lookbehinds .* not supported/],
    ['(', /not a valid regular expression \(missing closing \)/],
    ['a)', /not a valid regular expression \(unexpected \)/],
    ['[z-a]', /invalid character class range at `z-a`/],
    ['*', /missing argument to repetition operator/],
    ['a{1001}', /invalid repeat count/],
    ['\\u0041', /invalid escape sequence at `\\u`/],
    ['x'.repeat(MAX_PATTERN_LENGTH + 1), /longer than 256 characters/],
    ['.{0,1000}', /too large once compiled/],
    ['\\pL{200}'.repeat(10), /too large once compiled/],
  ])('refuses %s with VALIDATION_FAILED naming the field and the reason', (pattern, reason) => {
    const refusal = refusalOf(pattern);
    expect(refusal).toMatchObject({ code: 'VALIDATION_FAILED', field: 'arn' });
    expect(refusal !== 'accepted' && refusal.message).toMatch(/^filter arn: /);
    expect(refusal !== 'accepted' && refusal.message).toMatch(reason);
  });

  it('does not quote an (?i) the user never wrote in a syntax error', () => {
    const refusal = refusalOf('(deploy');
    expect(refusal !== 'accepted' && refusal.message).not.toContain('(?i)');
  });

  it('accepts the longest pattern allowed', () => {
    expect(refusalOf('a'.repeat(MAX_PATTERN_LENGTH))).toBe('accepted');
  });
});

describe('createScanBudget', () => {
  /** A budget on a hand-moved clock that counts how often it yields. */
  function budgetOn(options: { maxMs: number; sliceMs: number }) {
    const clock = { now: 0, yields: 0 };
    const budget = createScanBudget({
      ...options,
      now: () => clock.now,
      yieldToEventLoop: () => {
        clock.yields += 1;
        return Promise.resolve();
      },
    });
    return { clock, budget };
  }

  it('refuses on the first row past the deadline, whichever row that is', async () => {
    const { clock, budget } = budgetOn({ maxMs: 100, sliceMs: 1_000 });
    await budget.spend();
    clock.now = 99;
    await budget.spend();
    clock.now = 100;
    await expect(budget.spend()).rejects.toMatchObject({
      code: 'VALIDATION_FAILED',
      message: expect.stringMatching(/filters are too costly/) as string,
    });
  });

  it('refuses at once when the budget is zero', async () => {
    const { budget } = budgetOn({ maxMs: 0, sliceMs: 1_000 });
    await expect(budget.spend()).rejects.toMatchObject({ code: 'VALIDATION_FAILED' });
  });

  it('yields to the event loop once per slice of running, and only then', async () => {
    const { clock, budget } = budgetOn({ maxMs: 1_000, sliceMs: 5 });
    const steps: [number, number][] = [
      [1, 0],
      [4, 0],
      [5, 1],
      [9, 1],
      [10, 2],
      [10, 2],
      [30, 3],
    ];
    for (const [now, yields] of steps) {
      clock.now = now;
      await budget.spend();
      expect({ now, yields: clock.yields }).toEqual({ now, yields });
    }
  });

  it('lets callbacks already queued on the real event loop run before the next row', async () => {
    const order: string[] = [];
    let now = 0;
    const budget = createScanBudget({ maxMs: 1_000, sliceMs: 1, now: () => now });
    setImmediate(() => order.push('other request'));
    now = 1;
    await budget.spend();
    order.push('next row');
    expect(order).toEqual(['other request', 'next row']);
  });
});
