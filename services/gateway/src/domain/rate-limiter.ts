/** Counts one user's credential requests; a port so routes can be tested without Redis. */
export interface RateLimiter {
  /** Records one request; `allowed: false` once the user is over the limit for the current window. */
  hit(user: string): Promise<{ allowed: true } | { allowed: false; retryAfterSeconds: number }>;
}
