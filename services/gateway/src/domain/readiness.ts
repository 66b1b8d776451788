import type { ReadinessProbe } from './ports.js';

export interface ReadinessReport {
  ready: boolean;
  checks: Record<string, { ok: boolean; error?: string }>;
}

/** Runs every probe at once; a probe that has not answered within `timeoutMs` counts as failed. */
export async function checkReadiness(
  probes: readonly ReadinessProbe[],
  timeoutMs: number,
): Promise<ReadinessReport> {
  const results = await Promise.all(
    probes.map(async (probe) => {
      let timer: NodeJS.Timeout | undefined;
      const timeout = new Promise<never>((_, reject) => {
        timer = setTimeout(() => reject(new Error(`no answer within ${timeoutMs} ms`)), timeoutMs);
      });
      const attempt = probe.check();
      // The late rejection of an abandoned check must not become an unhandled rejection.
      attempt.catch(() => undefined);
      try {
        await Promise.race([attempt, timeout]);
        return [probe.name, { ok: true }] as const;
      } catch (error) {
        return [probe.name, { ok: false, error: (error as Error).message || String(error) }] as const;
      } finally {
        clearTimeout(timer);
      }
    }),
  );
  const checks: ReadinessReport['checks'] = {};
  for (const [name, result] of results) checks[name] = result;
  return { ready: results.every(([, r]) => r.ok), checks };
}
