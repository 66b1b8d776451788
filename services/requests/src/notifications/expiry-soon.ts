/** A change whose grant is about to end, for an `expiry_soon` reminder. */
export interface ExpiringChange {
  requestId: string;
  changeId: string;
  principalArn: string;
  /** ISO date-time: when the grant ends. */
  expiresAt: string;
  /**
   * ISO date-time: when a reminder was sent for this change; absent: never. A reminder sent before the
   * 24 hours preceding `expiresAt` was for an earlier expiry (the grant was extended) and does not count.
   */
  remindedAt?: string;
}

/** How long before its expiry a change's reminder goes out. */
export const EXPIRY_SOON_WINDOW_MS = 24 * 3_600_000;

/**
 * The applied changes whose `expiry_soon` reminder is due at `now`: those ending within the window
 * (24 hours) and not yet reminded of this expiry. A change that already ended is left to its `expired`
 * notification. Meant to be called on a schedule with the applied, expiring changes; the caller records
 * `remindedAt` for each one it has sent, which makes the reminder go out once.
 */
export function expirySoon(
  changes: readonly ExpiringChange[],
  now: Date,
  windowMs: number = EXPIRY_SOON_WINDOW_MS,
): ExpiringChange[] {
  const at = now.getTime();
  return changes.filter((change) => {
    const expiresAt = Date.parse(change.expiresAt);
    if (Number.isNaN(expiresAt) || expiresAt <= at || expiresAt - at > windowMs) return false;
    if (change.remindedAt === undefined) return true;
    const remindedAt = Date.parse(change.remindedAt);
    return Number.isNaN(remindedAt) || remindedAt < expiresAt - windowMs;
  });
}
