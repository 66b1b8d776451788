import { describe, expect, it } from 'vitest';
import { matchRole } from './match-role.js';

const roles = [
  'arn:aws:iam::111111111111:role/admin',
  'arn:aws:iam::222222222222:role/admin',
  'arn:aws:iam::222222222222:role/readonly',
  'arn:aws:iam::222222222222:role/service/payments-api',
  'arn:aws:iam::222222222222:role/payments-oncall',
];

describe('matchRole', () => {
  it('prefers an exact ARN, case-insensitively', () => {
    expect(matchRole('ARN:AWS:IAM::222222222222:ROLE/ADMIN', roles)).toEqual({ kind: 'one', arn: roles[1] });
  });

  it('then an exact role name, case-insensitively, even when the name is a substring of others', () => {
    expect(matchRole('ReadOnly', roles)).toEqual({ kind: 'one', arn: roles[2] });
    expect(matchRole('admin', roles)).toEqual({ kind: 'many', matches: [roles[0], roles[1]] });
  });

  it('then a substring of the ARN', () => {
    expect(matchRole('payments-a', roles)).toEqual({ kind: 'one', arn: roles[3] });
    expect(matchRole('payments', roles)).toEqual({ kind: 'many', matches: [roles[4], roles[3]].sort() });
    expect(matchRole('111111111111', roles)).toEqual({ kind: 'one', arn: roles[0] });
  });

  it('finds nothing among no roles or for an empty query', () => {
    expect(matchRole('admin', [])).toEqual({ kind: 'none' });
    expect(matchRole('  ', roles)).toEqual({ kind: 'none' });
    expect(matchRole('nothing-like-it', roles)).toEqual({ kind: 'none' });
  });
});
