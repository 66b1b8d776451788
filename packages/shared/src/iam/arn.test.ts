import { describe, expect, it } from 'vitest';
import { accountOfArn, isWellFormedArn, nameOfArn, parseArn } from './arn.js';

describe('parseArn', () => {
  it('keeps the colons of a resource that has them', () => {
    expect(parseArn('arn:aws:logs:us-east-1:111111111111:log-group:app:*')).toEqual({
      partition: 'aws',
      service: 'logs',
      region: 'us-east-1',
      account: '111111111111',
      resource: 'log-group:app:*',
    });
  });

  it('refuses text that is no ARN', () => {
    expect(parseArn('arn:aws:iam::111111111111')).toBeUndefined();
    expect(parseArn('urn:aws:iam::111111111111:role/x')).toBeUndefined();
  });
});

describe('isWellFormedArn', () => {
  it.each([
    'arn:aws:iam::111111111111:role/app',
    'arn:aws:iam::111111111111:role/path/app',
    'arn:aws:iam::aws:policy/ReadOnlyAccess',
    'arn:aws:s3:::bucket',
    'arn:aws:s3:::bucket/prefix/*',
    'arn:aws:sqs:eu-west-1:111111111111:queue',
    'arn:aws:sns:eu-west-1:111111111111:topic',
    'arn:aws-cn:iam::111111111111:role/app',
    'arn:aws:dynamodb:us-east-1:111111111111:table/t',
  ])('accepts %s', (arn) => expect(isWellFormedArn(arn)).toBe(true));

  it.each([
    ['a role without an account', 'arn:aws:iam:::role/app'],
    ['a role with a region', 'arn:aws:iam:us-east-1:111111111111:role/app'],
    ['a bucket with an account', 'arn:aws:s3::111111111111:bucket'],
    ['a queue without a region', 'arn:aws:sqs::111111111111:queue'],
    ['a short account id', 'arn:aws:sns:eu-west-1:11111:topic'],
    ['an empty resource', 'arn:aws:iam::111111111111:'],
    ['a space', 'arn:aws:iam::111111111111:role/my app'],
    ['an unknown partition shape', 'arn:AWS:iam::111111111111:role/app'],
  ])('refuses %s', (_what, arn) => expect(isWellFormedArn(arn)).toBe(false));
});

describe('accountOfArn and nameOfArn', () => {
  it('read the account and the last path segment', () => {
    expect(accountOfArn('arn:aws:iam::111111111111:role/a/b')).toBe('111111111111');
    expect(accountOfArn('arn:aws:s3:::bucket')).toBe('');
    expect(nameOfArn('arn:aws:iam::111111111111:role/a/b')).toBe('b');
  });
});
