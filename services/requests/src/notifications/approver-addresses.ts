import { normalizeIdentity } from '../domain/approval-rules.js';

/** By group name: the addresses mailed for it (`policy_requests.approver_addresses` in dynamic config). */
export type ApproverAddresses = Readonly<Record<string, readonly string[]>>;

const isAddress = (approver: string) => approver.includes('@');

/**
 * The addresses to mail for a request's approvers, who are users and groups. An approver that is an
 * address (a user, or a group named by its email as in ConsoleMe) is mailed as it is. A group name is
 * mailed at the addresses dynamic config gives for it, matched ignoring case as group membership is;
 * a group with none is left out — Rolecall knows no address for it — and returned in `unresolved`, so
 * the caller can log it. Each address appears once, whatever its case.
 */
export function resolveApproverAddresses(
  approvers: readonly string[],
  groupAddresses: ApproverAddresses = {},
): { addresses: string[]; unresolved: string[] } {
  const byGroup = new Map(
    Object.entries(groupAddresses).map(([group, to]) => [normalizeIdentity(group), to]),
  );
  const addresses = new Map<string, string>();
  const unresolved: string[] = [];
  const add = (address: string) => {
    const key = normalizeIdentity(address);
    if (!addresses.has(key)) addresses.set(key, address.trim());
  };
  for (const approver of approvers) {
    const mapped = byGroup.get(normalizeIdentity(approver));
    if (mapped !== undefined) mapped.forEach(add);
    else if (isAddress(approver)) add(approver);
    else unresolved.push(approver);
  }
  return { addresses: [...addresses.values()], unresolved: [...new Set(unresolved)] };
}
