import pLimit from 'p-limit';

/** Runs `work` over `values` with at most `limit` at a time; the first failure rejects. */
export async function forEachLimited<T>(
  values: readonly T[],
  limit: number,
  work: (value: T) => Promise<void>,
): Promise<void> {
  await pLimit(limit).map(values, (value) => work(value));
}
