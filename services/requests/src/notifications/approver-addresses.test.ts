import { describe, expect, it } from 'vitest';
import { resolveApproverAddresses } from './approver-addresses.js';

describe('resolveApproverAddresses', () => {
  it('mails addresses as they are, and groups at the addresses dynamic config gives them', () => {
    expect(
      resolveApproverAddresses(['bob@example.com', 'admins', 'prod-approvers'], {
        admins: ['secops@example.com'],
        'prod-approvers': ['dana@example.com', 'erin@example.com'],
      }),
    ).toEqual({
      addresses: ['bob@example.com', 'secops@example.com', 'dana@example.com', 'erin@example.com'],
      unresolved: [],
    });
  });

  it('matches group names ignoring case, as group membership does, and mails each address once', () => {
    expect(
      resolveApproverAddresses(['Admins', 'admins', 'SecOps@Example.com'], {
        ADMINS: ['secops@example.com'],
      }),
    ).toEqual({ addresses: ['secops@example.com'], unresolved: [] });
  });

  it('lists a group with no known address as unresolved instead of inventing one', () => {
    expect(resolveApproverAddresses(['admins', 'data-owners', 'admins'], {})).toEqual({
      addresses: [],
      unresolved: ['admins', 'data-owners'],
    });
  });

  it('lets a group named by its address be mapped to other addresses too', () => {
    expect(
      resolveApproverAddresses(['owners@example.com'], { 'owners@example.com': ['team-list@example.com'] }),
    ).toEqual({ addresses: ['team-list@example.com'], unresolved: [] });
  });
});
