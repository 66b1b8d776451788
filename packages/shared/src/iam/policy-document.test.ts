import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { canonicalJson, matchesIamPattern, statementsOf } from './policy-document.js';

describe('statementsOf', () => {
  it('takes a single statement object as a list of one', () => {
    expect(statementsOf({ Version: '2012-10-17', Statement: { Effect: 'Allow' } })).toEqual([
      { Effect: 'Allow' },
    ]);
  });

  it('finds none in what is no policy', () => {
    expect(statementsOf(null)).toEqual([]);
    expect(statementsOf('{"Statement":[]}')).toEqual([]);
    expect(statementsOf({ Statement: [1, 'x', { Effect: 'Deny' }] })).toEqual([{ Effect: 'Deny' }]);
  });
});

describe('matchesIamPattern', () => {
  it.each([
    ['s3:Get*', 's3:GetObject', true],
    ['S3:getobject', 's3:GetObject', true],
    ['s3:Get?bject', 's3:GetObject', true],
    ['s3:Get?bject', 's3:GetObjject', false],
    ['s3:Get', 's3:GetObject', false],
    ['*', 'iam:PassRole', true],
    ['arn:aws:s3:::b.c/*', 'arn:aws:s3:::bxc/k', false],
  ])('%s against %s is %s', (pattern, value, expected) => {
    expect(matchesIamPattern(pattern, value)).toBe(expected);
  });

  it('matches any text against itself, regex characters included', () => {
    fc.assert(
      fc.property(
        fc.string().filter((s) => !/[*?]/.test(s)),
        (s) => matchesIamPattern(s, s),
      ),
    );
  });
});

describe('canonicalJson', () => {
  it('ignores key order at every level but keeps list order', () => {
    expect(canonicalJson({ b: 1, a: { d: [2, 1], c: 0 } })).toBe(
      canonicalJson({ a: { c: 0, d: [2, 1] }, b: 1 }),
    );
    expect(canonicalJson([1, 2])).not.toBe(canonicalJson([2, 1]));
  });
});
