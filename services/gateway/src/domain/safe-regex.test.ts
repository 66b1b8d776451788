import { AppError } from '@rolecall/shared/errors';
import { describe, expect, it } from 'vitest';
import { compileSearchRegex, createScanBudget, findCostlyConstruct } from './safe-regex.js';

describe('compileSearchRegex', () => {
  it('compiles ordinary column searches case-insensitively', () => {
    const regex = compileSearchRegex('^arn:aws:iam::\\d{12}:role/(prod|dev)-', 'arn');
    expect(regex.test('ARN:AWS:IAM::123456789012:ROLE/DEV-x')).toBe(true);
    expect(regex.test('arn:aws:iam::123456789012:role/qa-x')).toBe(false);
  });

  it.each(['(a+)+$', '(a*)*', '(\\w|\\d)*x', '(?:a|aa){2,}', '(x+x+)+y', '((ab)*)+'])(
    'refuses the exponential shape %s',
    (pattern) => {
      expect(() => compileSearchRegex(pattern, 'arn')).toThrowError(/repeated group/);
    },
  );

  it.each(['(prod|dev)?-role', '(ab)+c', '[(a+)+]*', '\\(a+\\)+', '(?:foo){2}'])(
    'accepts the bounded shape %s',
    (pattern) => {
      expect(findCostlyConstruct(pattern)).toBeUndefined();
    },
  );

  it('refuses back-references, too many unbounded repetitions, overlong and invalid patterns', () => {
    const codeOf = (pattern: string) => {
      try {
        compileSearchRegex(pattern, 'arn');
        return 'accepted';
      } catch (error) {
        return (error as AppError).code;
      }
    };
    expect(codeOf('(a)\\1')).toBe('VALIDATION_FAILED');
    expect(codeOf('.*a.*b.*c.*d.*e')).toBe('VALIDATION_FAILED');
    expect(codeOf('x'.repeat(257))).toBe('VALIDATION_FAILED');
    expect(codeOf('(')).toBe('VALIDATION_FAILED');
    expect(codeOf('.*a.*b')).toBe('accepted');
  });
});

describe('createScanBudget', () => {
  it('throws VALIDATION_FAILED once the clock passes the budget, checking every n rows', () => {
    let now = 0;
    const budget = createScanBudget({ maxMs: 100, now: () => now, checkEvery: 2 });
    budget.spend();
    budget.spend();
    now = 101;
    budget.spend();
    expect(() => budget.spend()).toThrowError(AppError);
  });
});
