import { describe, expect, it } from 'vitest';
import { parsePolicy, policySize } from './parse-policy.js';

const identity = {
  Version: '2012-10-17',
  Statement: [{ Effect: 'Allow', Action: 's3:GetObject', Resource: '*' }],
};
const codes = (result: ReturnType<typeof parsePolicy>) =>
  result.ok ? [] : result.problems.map((p) => p.code);

describe('parsePolicy', () => {
  it('accepts an identity policy given as an object or as JSON text', () => {
    expect(parsePolicy(identity, 'identity')).toEqual({ ok: true, document: identity });
    expect(parsePolicy(JSON.stringify(identity), 'identity')).toEqual({ ok: true, document: identity });
  });

  it('says where JSON text is broken', () => {
    const result = parsePolicy('{"Version": "2012-10-17",', 'identity');
    expect(codes(result)).toEqual(['POLICY_NOT_JSON']);
    expect(!result.ok && result.problems[0]?.message).toMatch(/not valid JSON/);
  });

  it('refuses JSON that is no object', () => {
    expect(codes(parsePolicy('[1]', 'identity'))).toEqual(['POLICY_NOT_OBJECT']);
  });

  it('reports every problem of a malformed document at once, each with its path', () => {
    const result = parsePolicy(
      { Version: '2012-10-18', Statement: [{ Effect: 'allow', Sid: 'not ok', Principal: '*' }] },
      'identity',
    );
    expect(!result.ok && result.problems.map((p) => p.path)).toEqual([
      '/policy/policy_document/Version',
      '/policy/policy_document/Statement/0/Effect',
      '/policy/policy_document/Statement/0',
      '/policy/policy_document/Statement/0',
      '/policy/policy_document/Statement/0',
      '/policy/policy_document/Statement/0/Sid',
    ]);
  });

  it('wants a Principal in resource and trust policies, and no Resource needed in a trust policy', () => {
    const trust = {
      Version: '2012-10-17',
      Statement: {
        Effect: 'Allow',
        Principal: { AWS: 'arn:aws:iam::111111111111:root' },
        Action: 'sts:AssumeRole',
      },
    };
    expect(parsePolicy(trust, 'trust').ok).toBe(true);
    expect(codes(parsePolicy(trust, 'resource'))).toEqual(['POLICY_INVALID']);
    expect(codes(parsePolicy(identity, 'resource'))).toEqual(['POLICY_INVALID']);
  });

  it('refuses an empty statement list, non-object statements and < or >', () => {
    expect(codes(parsePolicy({ Version: '2012-10-17', Statement: [] }, 'identity'))).toEqual([
      'POLICY_INVALID',
    ]);
    expect(codes(parsePolicy({ ...identity, Statement: [...identity.Statement, 'x'] }, 'identity'))).toEqual([
      'POLICY_INVALID',
    ]);
    expect(codes(parsePolicy({ ...identity, Id: '<script>' }, 'identity'))).toEqual(['FORBIDDEN_CHARACTERS']);
  });
});

describe('policySize', () => {
  it('counts the characters without the whitespace between tokens, as IAM does', () => {
    expect(policySize(JSON.parse('{ "a" : [ 1 , "b c" ] }'))).toBe('{"a":[1,"b c"]}'.length);
  });
});
