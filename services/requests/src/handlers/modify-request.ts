import { randomUUID } from 'node:crypto';
import type { ModifyRequestReply, RequestOf, requestsOperations } from '@rolecall/shared/contracts';
import type { Logger } from '@rolecall/shared/log';
import { authorizeCommand } from '../domain/authorization.js';
import type { RequestStore } from '../domain/ports.js';
import { applyCommand } from '../domain/request-state.js';
import type { Workflow } from './workflow.js';
import { requestNotFound } from './refusals.js';

export interface ModifyRequestOptions {
  workflow: Workflow;
  store: RequestStore;
  log: Logger;
  newId?: () => string;
}

type ModifyData = RequestOf<(typeof requestsOperations)['modify']>;

/** A command that names no version is tried again on a newer one this many times before it is a conflict. */
const MAX_ATTEMPTS = 3;

/**
 * `PUT /api/v2/requests/{id}`: authorizes the command for the caller, makes the step, and saves it with a
 * conditional write on the version it was made from, so of two approvals racing only one is saved. The
 * one saved that leaves the request `applying` applies it, here, before answering; every other gets a
 * conflict, or, retried on the newer version, the refusal that version gives. A refusal changes nothing.
 */
export function createModifyRequestHandler(options: ModifyRequestOptions) {
  const { workflow, store, log } = options;
  const newId = options.newId ?? randomUUID;

  return async ({ caller, requestId, body }: ModifyData): Promise<ModifyRequestReply> => {
    const command = body.modification_model;
    for (let attempt = 1; ; attempt += 1) {
      const request = await store.get(requestId);
      if (request === undefined) {
        return requestNotFound(requestId);
      }
      const touched = await workflow.touchedOf(request);
      const decision = authorizeCommand(command.command, workflow.facts(request, caller, touched));
      if (!decision.allowed) {
        log.info(
          { policyRequestId: requestId, user: caller.user, command: command.command, code: decision.code },
          'refused',
        );
        return { outcome: 'refused', kind: 'forbidden', code: decision.code, message: decision.message };
      }
      const step = applyCommand(request, command, {
        actor: caller,
        now: workflow.now(),
        newId,
        explain: (next) => workflow.explain(next, touched),
      });
      if (!step.ok) return step.refusal;
      if ((await workflow.save(step, request.version)) === 'stale') {
        if (command.version === undefined && attempt < MAX_ATTEMPTS) continue;
        return {
          outcome: 'refused',
          kind: 'conflict',
          code: 'STALE_VERSION',
          message: `request ${requestId} changed while ${command.command} was being saved: reload it and try again`,
        };
      }
      const after =
        step.request.request_status === 'applying' ? await workflow.apply(step.request) : step.request;
      const failed = after.changes.changes.filter((c) => c.status === 'failed');
      return {
        outcome: 'done',
        response: {
          errors: failed.length,
          action_results: [
            { status: 'success', message: `${command.command}: request is ${after.request_status}` },
            ...failed.map((c) => ({
              status: 'error' as const,
              message: `change ${c.id ?? ''} (${c.change_type}) failed: ${c.error?.code ?? ''} ${c.error?.message ?? ''}`,
            })),
          ],
          version: after.version,
        },
      };
    }
  };
}
