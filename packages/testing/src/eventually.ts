/** How often `eventually` asks again. */
const POLL_MS = 100;

/**
 * Asks `check` until it returns a value (anything but undefined) and returns that. After `timeoutMs` it
 * throws `timed out waiting for <what>`; a function `what` is called then, to describe the state reached.
 */
export async function eventually<T>(
  check: () => T | undefined | Promise<T | undefined>,
  what: string | (() => string | Promise<string>),
  timeoutMs = 60_000,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await check();
    if (value !== undefined) return value;
    if (Date.now() > deadline) {
      throw new Error(`timed out waiting for ${typeof what === 'string' ? what : await what()}`);
    }
    await new Promise((resolve) => setTimeout(resolve, POLL_MS));
  }
}

const isPlainObject = (value: unknown): value is Record<string, unknown> =>
  typeof value === 'object' && value !== null && !Array.isArray(value);

/** `over` merged into `base`: objects key by key, all the way down; anything else (arrays too) replaced. */
export function mergeDeep(
  base: Record<string, unknown>,
  over: Record<string, unknown>,
): Record<string, unknown> {
  const out: Record<string, unknown> = { ...base };
  for (const [key, value] of Object.entries(over)) {
    const current = out[key];
    out[key] = isPlainObject(current) && isPlainObject(value) ? mergeDeep(current, value) : value;
  }
  return out;
}
