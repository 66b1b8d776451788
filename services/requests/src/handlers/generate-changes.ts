import type { GenerateChangesReply, RequestOf, selfServiceOperations } from '@rolecall/shared/contracts';
import { generateChanges } from '../domain/generate-changes.js';
import type { ResourceLookup } from '../domain/ports.js';

type GenerateData = RequestOf<(typeof selfServiceOperations)['generateChanges']>;

/**
 * `POST /api/v2/generate_changes`: the wizard's generators → ConsoleMe's ChangeModelArray, ready for
 * `POST /api/v2/request`. Reads the principal from the cache; writes nothing.
 */
export function createGenerateChangesHandler(options: { lookup: ResourceLookup }) {
  return async ({ body }: GenerateData): Promise<GenerateChangesReply> => {
    const outcome = await generateChanges(body.changes, (arn) => options.lookup.get(arn));
    if (outcome.ok) return { outcome: 'done', changes: { changes: [outcome.change] } };
    const { kind, code, message, problems } = outcome;
    return { outcome: 'refused', kind, code, message, ...(problems ? { problems } : {}) };
  };
}
