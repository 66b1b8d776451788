import { randomBytes, randomUUID } from 'node:crypto';
import { isSameClient } from './addresses.js';
import type { Identity } from './identity.js';
import type { ChallengeStore } from './ports.js';

/** One Weep challenge login, from creation by `challenge_generator` to its single successful poll. */
export interface Challenge {
  token: string;
  user: string;
  /** The address that created it: only it may poll, and (by default) only it may approve. */
  ip: string;
  /** Unix milliseconds. */
  createdAt: number;
  expiresAt: number;
  /** Proves the approving browser saw the validator page (ConsoleMe's nonce). */
  nonce: string;
  status: 'pending' | 'approved';
  /** Set on approval: the identity the issued JWT carries (the approver's own spelling of the user). */
  approvedUser?: string;
  approvedGroups?: string[];
}

export const CHALLENGE_TTL_MS = 2 * 60_000;

export interface ChallengeDeps {
  store: ChallengeStore;
  now: () => number;
}

export async function createChallenge(deps: ChallengeDeps, user: string, ip: string): Promise<Challenge> {
  const createdAt = deps.now();
  const challenge: Challenge = {
    token: randomUUID(),
    user,
    ip,
    createdAt,
    expiresAt: createdAt + CHALLENGE_TTL_MS,
    nonce: randomBytes(24).toString('base64url'),
    status: 'pending',
  };
  await deps.store.save(challenge);
  return challenge;
}

export type PollResult =
  | { status: 'pending' | 'expired' | 'unknown' | 'unauthorized' }
  | { status: 'success'; user: string; jwtUser: string; groups: string[] };

/**
 * What the CLI's poll sees. The poller is unauthenticated, so its address is all that binds it to the
 * challenge: any other address is told `unauthorized`, whatever the challenge's state. Success is
 * handed out once: the challenge is deleted, and of two racing polls only the one that deleted it wins.
 */
export async function pollChallenge(deps: ChallengeDeps, token: string, ip: string): Promise<PollResult> {
  const challenge = await deps.store.get(token);
  if (!challenge) return { status: 'unknown' };
  if (!isSameClient(challenge.ip, ip)) return { status: 'unauthorized' };
  if (deps.now() >= challenge.expiresAt) {
    await deps.store.take(token);
    return { status: 'expired' };
  }
  if (challenge.status !== 'approved') return { status: 'pending' };
  if (!(await deps.store.take(token))) return { status: 'unknown' };
  return {
    status: 'success',
    user: challenge.user,
    jwtUser: challenge.approvedUser ?? challenge.user,
    groups: challenge.approvedGroups ?? [],
  };
}

/** Why a browser may not approve a challenge; each maps to one HTTP answer. */
export type ValidationRefusal =
  | { refused: 'unknown' }
  | { refused: 'expired' }
  | { refused: 'other_user'; challengeUser: string }
  | { refused: 'other_ip'; challengeIp: string }
  | { refused: 'already_approved' }
  | { refused: 'bad_nonce' };

export interface ValidationRules {
  /** `auth.challenge.requireSameIp`. */
  requireSameIp: boolean;
}

/** The challenge a signed-in browser may see and approve, or why not. */
export async function viewChallenge(
  deps: ChallengeDeps,
  rules: ValidationRules,
  token: string,
  viewer: Identity,
  ip: string,
): Promise<{ challenge: Challenge } | ValidationRefusal> {
  const challenge = await deps.store.get(token);
  if (!challenge) return { refused: 'unknown' };
  if (deps.now() >= challenge.expiresAt) return { refused: 'expired' };
  // Users are e-mail addresses, which people type in any case (`weep` asks for it at a prompt).
  if (challenge.user.toLowerCase() !== viewer.user.toLowerCase()) {
    return { refused: 'other_user', challengeUser: challenge.user };
  }
  if (rules.requireSameIp && !isSameClient(challenge.ip, ip)) {
    return { refused: 'other_ip', challengeIp: challenge.ip };
  }
  if (challenge.status !== 'pending') return { refused: 'already_approved' };
  return { challenge };
}

/** Approves a pending challenge once; the nonce shows the approver was shown the page. */
export async function approveChallenge(
  deps: ChallengeDeps,
  rules: ValidationRules,
  token: string,
  approver: Identity,
  ip: string,
  nonce: string,
): Promise<{ approved: Challenge } | ValidationRefusal> {
  const viewed = await viewChallenge(deps, rules, token, approver, ip);
  if (!('challenge' in viewed)) return viewed;
  if (viewed.challenge.nonce !== nonce) return { refused: 'bad_nonce' };
  const approved: Challenge = {
    ...viewed.challenge,
    status: 'approved',
    approvedUser: approver.user,
    approvedGroups: approver.groups,
  };
  if (!(await deps.store.replace(viewed.challenge, approved))) return { refused: 'already_approved' };
  return { approved };
}
