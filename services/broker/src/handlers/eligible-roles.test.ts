import type { EligibleRole, EligibleRolesPage } from '@rolecall/shared/contracts';
import { AppError } from '@rolecall/shared/errors';
import { describe, expect, it } from 'vitest';
import { createInMemoryMapping, DEFAULT_SETTINGS, role } from '../../test/fakes.js';
import type { AccountDirectory } from '../domain/ports.js';
import type { RoleFacts } from '../domain/roles.js';
import { createEligibleRolesHandler, REPLY_OVERHEAD_BYTES } from './eligible-roles.js';

const A = '222222222222';
const B = '333333333333';
const dora = { user: 'dora@example.com', groups: ['readers'] };
const accounts: AccountDirectory = {
  names: (ids) => Promise.resolve(new Map(ids.filter((id) => id === A).map((id) => [id, 'prod']))),
};
const grantedRole = (account: string, name: string) =>
  role(account, name, { 'consoleme-authorized': 'readers' });

/** `n` roles in account A, their names padded so that every role's JSON has the same size. */
const manyRoles = (n: number, path = '') =>
  Array.from({ length: n }, (_, i) => grantedRole(A, `${path}role-${String(i).padStart(4, '0')}`));

function handlerOver(roles: RoleFacts[], maxReplyBytes: number, directory = accounts) {
  return createEligibleRolesHandler({
    mapping: createInMemoryMapping(roles, {}, DEFAULT_SETTINGS),
    accounts: directory,
    lowercaseIdentities: true,
    maxReplyBytes: () => maxReplyBytes,
  });
}

/** Asks page after page, as the gateway does, until no `nextPage`; returns every page. */
async function allPages(handler: ReturnType<typeof handlerOver>) {
  const pages: EligibleRole[][] = [];
  let page: EligibleRolesPage | undefined = {};
  while (page) {
    const reply = await handler({ caller: dora, channel: 'cli', page });
    pages.push(reply.roles);
    page = reply.nextPage;
  }
  return pages;
}

const jsonBytes = (roles: EligibleRole[]) => Buffer.byteLength(JSON.stringify(roles));

describe('eligible roles, paged by the size of a NATS message', () => {
  it('answers a small list in one reply, with account names and "Unknown" for an unnamed account', async () => {
    const handler = handlerOver([grantedRole(B, 'b-role'), grantedRole(A, 'a-role')], 1024 * 1024);
    const reply = await handler({ caller: dora, channel: 'console', page: {} });
    expect(reply).toEqual({
      roles: [
        {
          arn: `arn:aws:iam::${A}:role/a-role`,
          accountId: A,
          accountName: 'prod',
          roleName: 'a-role',
          cliOnly: false,
        },
        {
          arn: `arn:aws:iam::${B}:role/b-role`,
          accountId: B,
          accountName: 'Unknown',
          roleName: 'b-role',
          cliOnly: false,
        },
      ],
    });
    // A caller that predates paging gets the same answer while it fits.
    expect(await handler({ caller: dora, channel: 'console' })).toEqual(reply);
  });

  it('splits a list larger than one message into pages that each fit, every role once, in ARN order', async () => {
    const roles = manyRoles(200, 'a-long-path/'.repeat(20));
    const maxReplyBytes = REPLY_OVERHEAD_BYTES + 10_000;
    const pages = await allPages(handlerOver(roles, maxReplyBytes));
    expect(pages.length).toBeGreaterThan(5);
    for (const page of pages) expect(jsonBytes(page)).toBeLessThanOrEqual(10_000);
    // Full pages: a page ends only where the next role would not have fitted.
    const one = jsonBytes(pages[0]!.slice(0, 1)) + 1;
    for (const page of pages.slice(0, -1)) expect(jsonBytes(page) + one).toBeGreaterThan(10_000);
    const arns = pages.flat().map((r) => r.arn);
    expect(arns).toEqual(roles.map((r) => r.arn).sort());
  });

  it('sizes names JSON must escape or that take several bytes a character exactly', async () => {
    const named: AccountDirectory = {
      names: (ids) => Promise.resolve(new Map(ids.map((id) => [id, 'Zürich "prod" \\ 東京']))),
    };
    const maxReplyBytes = REPLY_OVERHEAD_BYTES + 3_000;
    const pages = await allPages(handlerOver(manyRoles(60), maxReplyBytes, named));
    expect(pages.length).toBeGreaterThan(2);
    const one = jsonBytes(pages[0]!.slice(0, 1)) + 1;
    for (const page of pages) expect(jsonBytes(page)).toBeLessThanOrEqual(3_000);
    for (const page of pages.slice(0, -1)) expect(jsonBytes(page) + one).toBeGreaterThan(3_000);
    expect(pages.flat()).toHaveLength(60);
  });

  it('refuses, rather than truncates, a list too large for one message when the caller did not ask for pages', async () => {
    const handler = handlerOver(manyRoles(100), REPLY_OVERHEAD_BYTES + 2_000);
    const refusal = await handler({ caller: dora, channel: 'cli' }).catch((error: unknown) => error);
    expect(refusal).toBeInstanceOf(AppError);
    expect((refusal as AppError).code).toBe('INTERNAL');
    expect((refusal as AppError).message).toMatch(/page by page/);
  });

  it('keeps going when the mapping changes between pages: nothing repeated, a role added after the cursor included', async () => {
    const roles = manyRoles(40);
    const first = await handlerOver(
      roles,
      REPLY_OVERHEAD_BYTES + 1_500,
    )({
      caller: dora,
      channel: 'cli',
      page: {},
    });
    const after = first.nextPage?.after;
    expect(after).toBeDefined();
    // Meanwhile a role sorting after the cursor appears, and one before it is deleted.
    const changed = [...roles.slice(1), grantedRole(A, 'zz-new-role')];
    const rest: EligibleRole[] = [];
    let page: EligibleRolesPage | undefined = { after: after! };
    const handler = handlerOver(changed, REPLY_OVERHEAD_BYTES + 1_500);
    while (page) {
      const reply = await handler({ caller: dora, channel: 'cli', page });
      rest.push(...reply.roles);
      page = reply.nextPage;
    }
    const seen = [...first.roles, ...rest].map((r) => r.roleName);
    expect(new Set(seen).size).toBe(seen.length);
    expect(seen).toEqual([...roles.map((r) => r.name), 'zz-new-role']);
  });

  it('moves on past a single role larger than a whole page', async () => {
    const huge = grantedRole(A, `${'p'.repeat(500)}/huge`);
    const pages = await allPages(handlerOver([huge, ...manyRoles(3)], REPLY_OVERHEAD_BYTES + 200));
    expect(pages.flat().map((r) => r.roleName)).toEqual(['huge', 'role-0000', 'role-0001', 'role-0002']);
  });
});
