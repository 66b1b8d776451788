import { describe, expect, it } from 'vitest';
import { isAdmin } from './admin.js';

describe('isAdmin', () => {
  it('is true when one of the groups is an admin group, as the gateway normalised them', () => {
    expect(isAdmin({ user: 'a@x', groups: ['engineering', 'admins'] }, ['Admins'], true)).toBe(true);
    expect(isAdmin({ user: 'a@x', groups: ['engineering'] }, ['admins'], true)).toBe(false);
  });

  it('compares exactly when groups keep their case', () => {
    expect(isAdmin({ user: 'a@x', groups: ['admins'] }, ['Admins'], false)).toBe(false);
    expect(isAdmin({ user: 'a@x', groups: ['Admins'] }, ['Admins'], false)).toBe(true);
  });

  it('never takes the user name for a group', () => {
    expect(isAdmin({ user: 'admins', groups: [] }, ['admins'], true)).toBe(false);
  });
});
