import type { RolecallConfig } from '@rolecall/shared/config';
import type { AccountSource } from '../domain/ports.js';

/** The accounts listed in the configuration (`accounts.static`). */
export function createStaticAccountSource(options: {
  accounts: RolecallConfig['accounts']['static'];
}): AccountSource {
  return {
    kind: 'static',
    listAccounts: () =>
      Promise.resolve(
        options.accounts.map((a) => ({ id: a.id, name: a.name, status: a.status ?? 'ACTIVE' })),
      ),
  };
}
