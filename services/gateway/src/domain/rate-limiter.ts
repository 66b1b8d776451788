/** Counts requests per subject (a user, a source address); a port so routes can be tested without Redis. */
export interface RateLimiter {
  /** Records one request; `allowed: false` once the subject is over the limit for the current window. */
  hit(subject: string): Promise<{ allowed: true } | { allowed: false; retryAfterSeconds: number }>;
}
