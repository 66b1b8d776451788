import { randomUUID } from 'node:crypto';
import type { Caller, Channel, CredentialAuditEvent, RequestContext } from '@rolecall/shared/contracts';
import { AppError } from '@rolecall/shared/errors';
import type { Logger } from '@rolecall/shared/log';
import { metrics } from '@rolecall/shared/metrics';
import { normalizeIdentity } from '../domain/authorization.js';
import type { AuditSink } from '../domain/ports.js';

/** What the audit trail needs to know about a credential request. */
export interface AuditedRequest {
  caller: Caller;
  channel: Channel;
  requestedRole: string;
  context: RequestContext;
}

/** How a begun issuance ended. */
export type AuditCompletion =
  | { outcome: 'issued'; durationSeconds: number; accessKeyId: string }
  | { outcome: 'failed'; reason: string; accessKeyId?: string };

/**
 * The credential audit trail, with one rule: no credentials exist without a durable record. `begin`
 * records the intent (who, which role, which channel, the request id) and resolves only once a sink has
 * made it durable, so STS is called only after it; `complete` adds the outcome (the access key id) to the
 * same record.
 */
export interface AuditRecorder {
  /** Throws AUDIT_UNAVAILABLE when no sink could make the intent durable: then nothing may be issued. */
  begin(request: AuditedRequest, roleArn: string): Promise<CredentialAuditEvent>;
  /**
   * Completes a begun record. Never throws: the credentials exist either way, and the intent already ties
   * them to the caller. A completion no sink took is logged with the key id and retried until one does.
   */
  complete(intent: CredentialAuditEvent, completion: AuditCompletion): Promise<void>;
  /** Records a refusal (nothing was issued); like `complete`, retried in the background when it fails. */
  refuse(request: AuditedRequest, reason: string): Promise<void>;
  /**
   * Waits for the records still being retried (at shutdown), at most `timeoutMs`; any left are logged
   * once more with their key ids (their intents stand).
   */
  settled(timeoutMs?: number): Promise<void>;
}

export interface AuditRecorderOptions {
  /** Tried in order until one makes the event durable (JetStream first, then DynamoDB directly). */
  sinks: readonly AuditSink[];
  log: Logger;
  lowercaseIdentities: boolean;
  now?: () => Date;
  newId?: () => string;
  /** First pause before a failed record is tried again; doubles up to `maxRetryDelayMs`. */
  retryDelayMs?: number;
  maxRetryDelayMs?: number;
}

/** Builds the audit records of credential decisions and writes them through the first sink that takes them. */
export function createAuditRecorder(options: AuditRecorderOptions): AuditRecorder {
  const { sinks, log } = options;
  const now = options.now ?? (() => new Date());
  const newId = options.newId ?? randomUUID;
  const firstDelay = options.retryDelayMs ?? 500;
  const maxDelay = options.maxRetryDelayMs ?? 30_000;
  const retrying = new Map<string, { event: CredentialAuditEvent; done: Promise<void> }>();
  let stopped = false;

  const facts = (event: CredentialAuditEvent) => ({
    auditId: event.id,
    user: event.user,
    roleArn: event.roleArn,
    outcome: event.outcome,
    accessKeyId: event.accessKeyId,
    requestId: event.requestId,
  });

  /** Resolves when a sink has the event; rejects with every sink's error when none took it. */
  const write = async (event: CredentialAuditEvent): Promise<void> => {
    const errors: unknown[] = [];
    for (const sink of sinks) {
      try {
        await sink.record(event);
        if (errors.length > 0)
          log.warn({ ...facts(event), sink: sink.name }, 'audit record kept by a fallback sink');
        return;
      } catch (error) {
        errors.push(error);
        log.warn({ err: error, ...facts(event), sink: sink.name }, 'audit sink failed; trying the next');
      }
    }
    throw new AggregateError(errors, 'no audit sink took the record');
  };

  const retryInBackground = (event: CredentialAuditEvent) => {
    const key = `${event.id}:${event.outcome}`;
    if (retrying.has(key)) return;
    const done = (async () => {
      let delay = firstDelay;
      while (!stopped) {
        await new Promise((resolve) => setTimeout(resolve, delay));
        if (stopped) return;
        try {
          await write(event);
          log.info(facts(event), 'audit record written after retrying');
          return;
        } catch {
          delay = Math.min(delay * 2, maxDelay);
        }
      }
    })().finally(() => retrying.delete(key));
    retrying.set(key, { event, done });
  };

  /** Writes now; a failure is logged as a gap in the trail and retried, never thrown. */
  const writeOrRetry = async (event: CredentialAuditEvent) => {
    try {
      await write(event);
    } catch (error) {
      log.error(
        { err: error, ...facts(event) },
        'credential audit record not yet durable; retrying in the background',
      );
      retryInBackground(event);
    }
  };

  // Counted where every decision is recorded, so the metric and the audit trail cannot disagree.
  const countIssuance = (event: CredentialAuditEvent, outcome: string) =>
    metrics.credentialIssuances.inc({ channel: event.channel, outcome, reason: event.reason ?? '' });

  const eventOf = (
    request: AuditedRequest,
    fields: Pick<CredentialAuditEvent, 'outcome'> & Partial<CredentialAuditEvent>,
  ): CredentialAuditEvent => ({
    id: newId(),
    at: now().toISOString(),
    user: normalizeIdentity(request.caller.user, options),
    groups: [...request.caller.groups],
    channel: request.channel,
    requestedRole: request.requestedRole,
    sourceIp: request.context.sourceIp,
    userAgent: request.context.userAgent,
    requestId: request.context.requestId,
    ...fields,
  });

  return {
    async begin(request, roleArn) {
      const intent = eventOf(request, { outcome: 'pending', roleArn });
      try {
        await write(intent);
      } catch (error) {
        countIssuance(intent, 'audit_unavailable');
        log.error(
          { err: error, ...facts(intent) },
          'credential request refused: its audit record could not be kept',
        );
        throw new AppError(
          'AUDIT_UNAVAILABLE',
          'credentials are not issued because the audit trail cannot record the request right now; try again shortly',
          { cause: error, context: { requestId: intent.requestId } },
        );
      }
      return intent;
    },

    async complete(intent, completion) {
      const event = { ...intent, ...completion };
      countIssuance(event, event.outcome);
      await writeOrRetry(event);
    },

    async refuse(request, reason) {
      const event = eventOf(request, { outcome: 'refused', reason });
      countIssuance(event, 'refused');
      await writeOrRetry(event);
    },

    async settled(timeoutMs = 10_000) {
      const pending = [...retrying.values()];
      if (pending.length === 0) return;
      let timer: ReturnType<typeof setTimeout> | undefined;
      await Promise.race([
        Promise.all(pending.map((p) => p.done)),
        new Promise((resolve) => (timer = setTimeout(resolve, timeoutMs))),
      ]);
      clearTimeout(timer);
      stopped = true;
      for (const { event } of retrying.values()) {
        log.error(facts(event), 'credential audit record lost at shutdown; its intent record stands');
      }
    },
  };
}
