import { describe, expect, it } from 'vitest';
import { brokerOperations } from './broker.js';
import type { Handlers } from './operation.js';

const refuse = () =>
  Promise.resolve({
    outcome: 'refused' as const,
    reason: 'no_matching_role' as const,
    message: 'no',
    matches: [] as string[],
  });

/** The checks that matter here are the type errors `npm run typecheck` expects (it fails without them). */
describe("a catalogue's handlers", () => {
  it('must cover every operation, each typed by its request and reply schemas', () => {
    const complete: Handlers<typeof brokerOperations> = {
      issueCredentials: refuse,
      consoleLogin: refuse,
      eligibleRoles: () => Promise.resolve({ roles: [] }),
      roleAccess: (data) => Promise.resolve({ known: data.roleArn.startsWith('arn:'), identities: [] }),
      queryAudit: () => Promise.resolve({ items: [], nextCursor: null }),
    };
    // @ts-expect-error queryAudit is missing: a broker without it does not compile.
    const missing: Handlers<typeof brokerOperations> = {
      issueCredentials: refuse,
      consoleLogin: refuse,
      eligibleRoles: complete.eligibleRoles,
      roleAccess: complete.roleAccess,
    };
    const wrongReply: Handlers<typeof brokerOperations> = {
      ...complete,
      // @ts-expect-error eligibleRoles answers {roles}, not a bare list.
      eligibleRoles: () => Promise.resolve([]),
    };
    const wrongRequest: Handlers<typeof brokerOperations> = {
      ...complete,
      // @ts-expect-error a role-access request has no `user`: the handler's input is typed.
      roleAccess: (data) => Promise.resolve({ known: data.user === 'x', identities: [] }),
    };
    expect(Object.keys(complete).sort()).toEqual(Object.keys(brokerOperations).sort());
    expect([missing, wrongReply, wrongRequest]).toHaveLength(3);
  });
});
