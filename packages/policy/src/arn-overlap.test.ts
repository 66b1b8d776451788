import { describe, expect, it } from 'vitest';
import { resourceMayMatchFormat, slashDelimitedPlaceholders } from './arn-overlap.js';

const BUCKET = 'arn:${Partition}:s3:::${BucketName}';
const OBJECT = 'arn:${Partition}:s3:::${BucketName}/${ObjectName}';
const s3 = slashDelimitedPlaceholders([BUCKET, OBJECT]);

describe('resourceMayMatchFormat', () => {
  it.each([
    ['arn:aws:s3:::b', BUCKET, true],
    ['arn:aws:s3:::b/*', BUCKET, false],
    ['arn:aws:s3:::b', OBJECT, false],
    ['arn:aws:s3:::b/*', OBJECT, true],
    ['arn:aws:s3:::b*', OBJECT, true],
    ['arn:aws:s3:::*', BUCKET, true],
    ['*', BUCKET, true],
    ['arn:aws:*', OBJECT, true],
    ['arn:aws:sqs:us-east-1:1:q', BUCKET, false],
    ['arn:aws:s3:::b/home/${aws:username}/*', OBJECT, true],
    ['arn:aws:iam::1:role/a/b/c', 'arn:${Partition}:iam::${Account}:role/${RoleNameWithPath}', true],
    ['arn:aws:s3:us-east-1::b', BUCKET, false],
    ['arn:aws:s3:::b?', BUCKET, true],
  ])('%s against %s: %s', (pattern, format, expected) => {
    expect(resourceMayMatchFormat(pattern, format, s3)).toBe(expected);
  });

  it('finds the placeholders a format follows with a slash', () => {
    expect([...s3]).toEqual(['BucketName']);
  });
});
