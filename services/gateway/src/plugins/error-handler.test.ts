import { AppError } from '@rolecall/shared/errors';
import { describe, expect, it } from 'vitest';
import { errorBody, toHttpError } from './error-handler.js';

describe('toHttpError', () => {
  it('maps pattern failures on account and cursor fields to their own codes, anything else to VALIDATION_FAILED', () => {
    const validation = (problems: { instancePath: string; keyword: string }[]) =>
      Object.assign(new Error('bad'), {
        validation: problems.map((p) => ({ ...p, message: 'bad' })),
        validationContext: 'querystring',
      });
    expect(toHttpError(validation([{ instancePath: '/account', keyword: 'pattern' }])).code).toBe(
      'INVALID_ACCOUNT_ID',
    );
    expect(toHttpError(validation([{ instancePath: '/accountIds/2', keyword: 'pattern' }])).code).toBe(
      'INVALID_ACCOUNT_ID',
    );
    expect(toHttpError(validation([{ instancePath: '/cursor', keyword: 'pattern' }])).code).toBe(
      'INVALID_CURSOR',
    );
    expect(toHttpError(validation([{ instancePath: '/accountIds', keyword: 'other' }])).code).toBe(
      'VALIDATION_FAILED',
    );
    expect(
      toHttpError(
        validation([
          { instancePath: '/account', keyword: 'pattern' },
          { instancePath: '/limit', keyword: 'other' },
        ]),
      ).code,
    ).toBe('VALIDATION_FAILED');
  });

  it('maps Fastify body errors and hides the details of unexpected ones', () => {
    expect(
      toHttpError(Object.assign(new Error('x'), { code: 'FST_ERR_CTP_BODY_TOO_LARGE', statusCode: 413 }))
        .status,
    ).toBe(413);
    expect(
      toHttpError(Object.assign(new Error('x'), { code: 'FST_ERR_CTP_INVALID_MEDIA_TYPE', statusCode: 415 }))
        .code,
    ).toBe('UNSUPPORTED_MEDIA_TYPE');
    const internal = toHttpError(new TypeError('secret internals'));
    expect(internal.code).toBe('INTERNAL');
    expect(internal.message).not.toContain('secret internals');
  });
});

describe('errorBody', () => {
  it('adds ConsoleMe problem fields on v2 routes only and never echoes secret-looking context', () => {
    const error = new AppError('NOT_FOUND', 'gone', {
      context: { arn: 'a', sessionToken: 's', password: 'p' },
    });
    expect(errorBody(error, '/api/v2/roles/1/x')).toEqual({
      arn: 'a',
      code: 'NOT_FOUND',
      message: 'gone',
      status: 404,
      title: 'Not Found',
    });
    expect(errorBody(error, '/api/v3/resources')).toEqual({ arn: 'a', code: 'NOT_FOUND', message: 'gone' });
  });
});
