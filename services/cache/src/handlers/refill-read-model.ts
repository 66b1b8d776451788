import { toCachedItem } from '../domain/stored-item.js';
import type { HandlerDeps } from './deps.js';

/**
 * Rebuilds Redis from DynamoDB when the `loaded` marker is missing (a new or flushed Redis). One
 * process does it under a lock; the others see the marker on their next check.
 */
export function createReadModelRefiller(
  deps: Pick<HandlerDeps, 'items' | 'state' | 'accounts' | 'readModel' | 'log' | 'now'> & {
    lockTtlMs: number;
  },
) {
  const { items, state, accounts, readModel, log, now } = deps;
  return async function refillIfEmpty(): Promise<boolean> {
    if (await readModel.isLoaded()) return false;
    const release = await readModel.lockRefill(deps.lockTtlMs);
    if (!release) return false;
    try {
      // Checked again under the lock: another process may have just finished.
      if (await readModel.isLoaded()) return false;
      let itemCount = 0;
      for await (const page of items.scanAll()) {
        const live = page.filter((item) => item.deletedByJob === undefined);
        await readModel.putItems(live.map(toCachedItem));
        itemCount += live.length;
      }
      // The recorded discovery is one item, so its accounts are whole even while a discovery is being
      // applied; a newer one already in Redis is kept (replaceAccounts compares discovery times).
      const discovery = await state.currentDiscovery();
      if (discovery) await readModel.replaceAccounts(discovery.accounts, discovery.discoveredAt);
      else await readModel.replaceAccounts(await accounts.list(), '');
      const statuses = await state.listStatuses();
      for (const status of statuses) await readModel.putStatus(status);
      await readModel.markLoaded(now().toISOString());
      log.info({ itemCount, statusCount: statuses.length }, 'redis refilled from dynamodb');
      return true;
    } finally {
      await release();
    }
  };
}
