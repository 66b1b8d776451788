import type {
  Caller,
  Channel,
  EligibleRole,
  EligibleRolesPage,
  EligibleRolesReply,
} from '@rolecall/shared/contracts';
import { AppError } from '@rolecall/shared/errors';
import { callerIdentities } from '../domain/authorization.js';
import type { AccountDirectory, AuthorizationMapping } from '../domain/ports.js';
import { accountIdOf, roleNameOf } from '../domain/roles.js';

/** ConsoleMe shows this when an account has no known name. */
export const UNKNOWN_ACCOUNT_NAME = 'Unknown';

/**
 * What a reply's envelope, the `nextPage` cursor and the `{ok, data}` wrapper add to the roles array, with
 * room to spare: an ARN is at most 2,048 bytes, the rest a few hundred.
 */
export const REPLY_OVERHEAD_BYTES = 16 * 1024;

/** ARNs in UTF-16 code-unit order: a total order, so "after this ARN" never skips or repeats a role. */
const byArn = (a: { arn: string }, b: { arn: string }) => (a.arn < b.arn ? -1 : a.arn > b.arn ? 1 : 0);

/**
 * `broker.roles.eligible`: the roles a caller may use on a channel, with account names.
 *
 * A user granted thousands of roles (a group tag on every role of an organization) has an answer larger
 * than one NATS message (1 MB by default): publishing it fails. So the answer is paged by size, not by
 * count: with `page`, each reply carries the roles after `page.after` that fit in `maxReplyBytes` (ARNs
 * can be long: a role path may be 512 characters) and a `nextPage` while more remain. The ARN cursor stays
 * right when the mapping changes between pages: a role added or removed meanwhile is simply in or out.
 */
export function createEligibleRolesHandler(options: {
  mapping: AuthorizationMapping;
  accounts: AccountDirectory;
  lowercaseIdentities: boolean;
  /** The most one reply may carry: the NATS server's max_payload, read per request (a reconnect may change it). */
  maxReplyBytes: () => number;
}) {
  return async (request: {
    caller: Caller;
    channel: Channel;
    page?: EligibleRolesPage | undefined;
  }): Promise<EligibleRolesReply> => {
    const grants = await options.mapping.eligible(callerIdentities(request.caller, options), request.channel);
    grants.sort(byArn);
    const maxReplyBytes = options.maxReplyBytes();
    const budget = maxReplyBytes - REPLY_OVERHEAD_BYTES;
    const after = request.page?.after;
    const start = after === undefined ? 0 : firstAfter(grants, after);
    // Every byte of the roles array as JSON.stringify writes it: each role, a comma between, brackets.
    let bytes = 2;
    let end = start;
    const sized: EligibleRole[] = [];
    const names = await options.accounts.names([...new Set(grants.map((g) => accountIdOf(g.arn)))]);
    for (; end < grants.length; end += 1) {
      const grant = grants[end] as (typeof grants)[number];
      const accountId = accountIdOf(grant.arn);
      const role: EligibleRole = {
        arn: grant.arn,
        accountId,
        accountName: names.get(accountId) ?? UNKNOWN_ACCOUNT_NAME,
        roleName: roleNameOf(grant.arn),
        cliOnly: grant.cliOnly,
      };
      const size = jsonSize(role) + (sized.length > 0 ? 1 : 0);
      // A page always takes one role, so paging moves on even past a role larger than the budget.
      if (bytes + size > budget && sized.length > 0) break;
      bytes += size;
      sized.push(role);
    }
    if (end >= grants.length) return { roles: sized };
    if (request.page === undefined) {
      throw new AppError(
        'INTERNAL',
        `the ${grants.length} eligible roles of ${request.caller.user} do not fit in one NATS message; ` +
          'the caller must ask page by page (`page`): update the service calling broker.roles.eligible',
        { context: { roles: grants.length, maxReplyBytes } },
      );
    }
    // Not the last page, so this one holds at least one role.
    return { roles: sized, nextPage: { after: (sized[sized.length - 1] as EligibleRole).arn } };
  };
}

/** Printable ASCII but `"` and `\\`: JSON writes such a string as it is, one byte a character. */
const PLAIN = /^[\x20\x21\x23-\x5b\x5d-\x7e]*$/;
const EMPTY_ROLE_JSON =
  JSON.stringify({ arn: '', accountId: '', accountName: '', roleName: '', cliOnly: false }).length -
  'false'.length;

/**
 * The bytes JSON.stringify writes for a role, counted without writing it when its strings need no escape
 * (ARNs and account ids always; names nearly always): a page of thousands is sized on every request.
 */
function jsonSize(role: EligibleRole): number {
  const strings = [role.arn, role.accountId, role.accountName, role.roleName];
  if (!strings.every((text) => PLAIN.test(text))) return Buffer.byteLength(JSON.stringify(role));
  return EMPTY_ROLE_JSON + (role.cliOnly ? 4 : 5) + strings.reduce((sum, text) => sum + text.length, 0);
}

/** The index of the first grant whose ARN sorts after `after` (grants sorted by {@link byArn}). */
function firstAfter(grants: readonly { arn: string }[], after: string): number {
  let low = 0;
  let high = grants.length;
  while (low < high) {
    const mid = (low + high) >>> 1;
    if ((grants[mid] as { arn: string }).arn <= after) low = mid + 1;
    else high = mid;
  }
  return low;
}
