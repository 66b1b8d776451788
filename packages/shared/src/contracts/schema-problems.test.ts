import { Type } from 'typebox';
import { Value } from 'typebox/value';
import { describe, expect, it } from 'vitest';
import { LiteralUnion } from './literal-union.js';
import { describeSchemaProblems, schemaProblems } from './schema-problems.js';

const Schema = Type.Object(
  {
    level: LiteralUnion(['info', 'warn']),
    accountId: Type.String({ pattern: '^\\d{12}$' }),
    count: Type.Optional(Type.Integer()),
  },
  { additionalProperties: false },
);

describe('schemaProblems', () => {
  it('reports one problem per path, names the allowed literals and flags pattern mismatches', () => {
    const problems = schemaProblems(Value.Errors(Schema, { level: 'loud', accountId: '12', count: 'x' }));
    expect(problems).toEqual([
      { path: '/level', message: 'must be one of: info, warn', keyword: 'other' },
      { path: '/accountId', message: expect.stringMatching(/pattern/) as unknown, keyword: 'pattern' },
      { path: '/count', message: expect.stringMatching(/integer/) as unknown, keyword: 'other' },
    ]);
  });

  it('reports an unknown property at its own path', () => {
    expect(
      schemaProblems(Value.Errors(Schema, { level: 'info', accountId: '123456789012', extra: 1 })),
    ).toEqual([{ path: '/extra', message: 'is not a known field', keyword: 'other' }]);
  });

  it('joins the first problems for a log line, the document itself as /', () => {
    expect(describeSchemaProblems(Value.Errors(Schema, 'text'), 1)).toMatch(/^\/: /);
    expect(
      describeSchemaProblems(Value.Errors(Schema, { level: 'info', accountId: '123456789012' }), 3),
    ).toBe('');
  });
});
