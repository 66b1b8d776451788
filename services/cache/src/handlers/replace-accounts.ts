import type { AccountsDiscovery } from '@rolecall/shared/contracts';
import { AppError } from '@rolecall/shared/errors';
import { ACK, type HandlerDeps, type Outcome } from './deps.js';

const MAX_ROUNDS = 10;

/**
 * crawler.result.accounts.discovered: the newest discovery replaces the known accounts. Redis refuses
 * accounts older than those it holds, whatever order writes arrive in (a redelivery, a refill, two
 * cache processes). The DynamoDB accounts table cannot refuse, so after writing it the handler looks at
 * the newest recorded discovery and writes again if it is not the one just written: whoever writes
 * last has checked that nothing newer exists.
 */
export function createReplaceAccountsHandler(
  deps: Pick<HandlerDeps, 'state' | 'accounts' | 'readModel' | 'log'>,
) {
  const { state, accounts, readModel, log } = deps;
  return async (discovery: AccountsDiscovery): Promise<Outcome> => {
    if (!(await state.claimDiscovery(discovery))) {
      log.info({ discoveryId: discovery.discoveryId }, 'discovery older than the one applied; ignored');
      return ACK;
    }
    let applying = discovery;
    for (let round = 0; round < MAX_ROUNDS; round += 1) {
      await accounts.replaceAll(applying.accounts);
      await readModel.replaceAccounts(applying.accounts, applying.discoveredAt);
      const newest = await state.currentDiscovery();
      if (
        !newest ||
        (newest.discoveryId === applying.discoveryId && newest.discoveredAt === applying.discoveredAt)
      ) {
        return ACK;
      }
      applying = newest;
    }
    throw new AppError('CONFLICT', 'account discoveries kept arriving while being applied', {
      retryable: true,
    });
  };
}
