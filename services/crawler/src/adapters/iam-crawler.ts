import {
  GetAccountAuthorizationDetailsCommand,
  IAMClient,
  type GetAccountAuthorizationDetailsCommandOutput,
} from '@aws-sdk/client-iam';
import { awsClientConfig, translateAwsError } from '@rolecall/shared/aws';
import type { CrawledItem } from '@rolecall/shared/contracts';
import type { Crawler } from '../domain/ports.js';
import { mapGroupDetail, mapManagedPolicyDetail, mapRoleDetail, mapUserDetail } from './iam-mapping.js';
import type { SpokeAccess } from './spoke-access.js';

export type AuthorizationDetailsPage = Pick<
  GetAccountAuthorizationDetailsCommandOutput,
  'RoleDetailList' | 'UserDetailList' | 'GroupDetailList' | 'Policies' | 'IsTruncated' | 'Marker'
>;

/** Fetches one page of GetAccountAuthorizationDetails starting at `marker`. */
export type FetchAuthorizationDetailsPage = (marker: string | undefined) => Promise<AuthorizationDetailsPage>;

/**
 * Follows `Marker` until IAM says the listing is complete, yielding each page's items before asking for
 * the next page, so memory holds one page at a time however many roles an account has.
 */
export async function* readAuthorizationDetails(
  fetchPage: FetchAuthorizationDetailsPage,
  accountId: string,
): AsyncGenerator<CrawledItem> {
  let marker: string | undefined;
  const seenMarkers = new Set<string>();
  for (;;) {
    const page = await fetchPage(marker);
    for (const role of page.RoleDetailList ?? []) yield* present(mapRoleDetail(role, accountId));
    for (const user of page.UserDetailList ?? []) yield* present(mapUserDetail(user, accountId));
    for (const group of page.GroupDetailList ?? []) yield* present(mapGroupDetail(group, accountId));
    for (const policy of page.Policies ?? []) yield* present(mapManagedPolicyDetail(policy, accountId));
    if (!page.IsTruncated || !page.Marker) return;
    // A server that hands back a marker it already gave would loop forever; stop and say so.
    if (seenMarkers.has(page.Marker)) throw new Error('GetAccountAuthorizationDetails repeated a marker');
    seenMarkers.add(page.Marker);
    marker = page.Marker;
  }
}

function* present(item: CrawledItem | undefined): Generator<CrawledItem> {
  if (item) yield item;
}

/** IAM roles, users, groups and customer managed policies of one account, through its spoke role. */
export function createIamCrawler(options: { access: SpokeAccess; pageSize?: number }): Crawler {
  return async function* crawlIam(target, signal) {
    const client = new IAMClient(awsClientConfig('iam', await options.access.open(target.accountId)));
    try {
      const fetchPage: FetchAuthorizationDetailsPage = async (marker) => {
        try {
          return await client.send(
            new GetAccountAuthorizationDetailsCommand({
              Filter: ['Role', 'User', 'Group', 'LocalManagedPolicy'],
              Marker: marker,
              MaxItems: options.pageSize,
            }),
            { abortSignal: signal },
          );
        } catch (error) {
          throw translateAwsError(error, {
            operation: 'iam:GetAccountAuthorizationDetails',
            accountId: target.accountId,
          });
        }
      };
      yield* readAuthorizationDetails(fetchPage, target.accountId);
    } finally {
      client.destroy();
    }
  };
}
