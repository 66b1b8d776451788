import { normaliseAddress } from './identity.js';

const LOOPBACK = /^(127\.\d{1,3}\.\d{1,3}\.\d{1,3}|::1)$/;

/**
 * Whether two peer addresses are the same machine for the challenge IP binding. Weep and the browser on
 * one laptop often reach the gateway over different loopback families (127.0.0.1 vs ::1, ConsoleMe
 * PR #9041), so every loopback address counts as one.
 */
export function isSameClient(a: string, b: string): boolean {
  const left = normaliseAddress(a);
  const right = normaliseAddress(b);
  if (left === right) return true;
  return LOOPBACK.test(left) && LOOPBACK.test(right);
}
