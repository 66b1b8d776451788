import type { Logger } from '@rolecall/shared/log';
import { EXPIRY_SOON_WINDOW_MS } from '../notifications/expiry-soon.js';
import type { Notifier } from '../notifications/notifier.js';
import type { DueExpiry, ExpiryClaims, RequestStore } from '../domain/ports.js';
import { planExpiry } from '../domain/policy-edit.js';
import { recordExpiry } from '../domain/request-state.js';
import { targetArnOf } from '../domain/target-state.js';
import type { ChangeWriter } from '../domain/ports.js';
import type { Workflow } from './workflow.js';

export interface ExpireGrantsOptions {
  workflow: Workflow;
  store: RequestStore;
  writer: ChangeWriter;
  claims: ExpiryClaims;
  leaseMs: number;
  /** Sends the `expiry_soon` reminders; never rejects. */
  notifier: Pick<Notifier, 'remindExpiry'>;
  log: Logger;
}

/**
 * Removes the grants whose time has come, each exactly once across every requests process: the claim
 * (a lease in DynamoDB) decides who removes it, the removal reads AWS first and takes out only what
 * Rolecall put there, and the request records it (`change_expired`, actor `rolecall`; `expired` once
 * every applied change has). A removal that fails gives its claim back and is tried at the next round.
 */
export function createExpireGrants(options: ExpireGrantsOptions) {
  const { workflow, store, writer, claims, leaseMs, notifier, log } = options;

  /**
   * The reminder of a grant ending within 24 hours, once across every process: a claim per change and
   * expiry instant (an extended grant is reminded again), completed once the notifier has tried.
   */
  const remindOne = async ({ request, change }: DueExpiry) => {
    const key = { requestId: request.id, changeId: `remind#${change.id}#${change.expires_at}` };
    if ((await claims.claim(key, leaseMs)) !== 'claimed') return;
    await notifier.remindExpiry({
      requestId: request.id,
      changeId: change.id,
      principalArn: request.principal.principal_arn,
      expiresAt: change.expires_at,
    });
    await claims.complete(key);
  };

  const expireOne = async ({ request: listed, change }: DueExpiry) => {
    const key = { requestId: listed.id, changeId: change.id };
    if ((await claims.claim(key, leaseMs)) !== 'claimed') return;
    try {
      const arn = targetArnOf(change);
      const accountId = await workflow.accountOf(arn);
      if (accountId === undefined) throw new Error(`the account of ${arn} is not known`);
      const index = listed.changes.changes.findIndex((c) => c.id === change.id);
      const state = await writer.readCurrent(change, accountId);
      const plan = planExpiry(state, change, { requestId: listed.id, changeIndex: index });
      const findings = plan.ok ? plan.plan.findings : [plan.problem];
      if (plan.ok) for (const write of plan.plan.writes) await writer.write(write, accountId);
      // Recorded on the request as it is now: a comment may have come since it was listed.
      for (;;) {
        const request = await store.get(listed.id);
        if (request === undefined) break;
        const step = recordExpiry(request, change.id, findings, workflow.now());
        if (!step.ok) break;
        if ((await workflow.save(step, request.version)) === 'saved') break;
      }
      await claims.complete(key);
      log.info({ policyRequestId: listed.id, changeId: change.id, findings }, 'grant expired');
      await workflow.recrawl([{ arn, accountId }]);
    } catch (error) {
      log.warn(
        { err: error, policyRequestId: listed.id, changeId: change.id },
        'grant not removed; tried again',
      );
      await claims.release(key).catch((caught: unknown) => log.warn({ err: caught }, 'claim not released'));
    }
  };

  return {
    /** One round: every due expiry, one at a time, then the reminders of those ending within 24 hours. */
    async run(): Promise<void> {
      const now = workflow.now();
      const soon = await store.dueExpiries(new Date(now.getTime() + EXPIRY_SOON_WINDOW_MS));
      for (const expiry of soon) {
        if (Date.parse(expiry.change.expires_at) <= now.getTime()) await expireOne(expiry);
        else await remindOne(expiry);
      }
    },
  };
}

/** Runs `round` every `intervalMs`, one round at a time; `stop` waits for the round in progress. */
export function startInterval(round: () => Promise<void>, intervalMs: number, log: Logger) {
  let timer: NodeJS.Timeout | undefined;
  let running: Promise<void> = Promise.resolve();
  let stopped = false;
  const tick = () => {
    running = round()
      .catch((error: unknown) => log.warn({ err: error }, 'expiry round failed; tried again'))
      .finally(() => {
        if (!stopped) timer = setTimeout(tick, intervalMs);
      });
  };
  timer = setTimeout(tick, intervalMs);
  return {
    async stop() {
      stopped = true;
      clearTimeout(timer);
      await running;
    },
  };
}
