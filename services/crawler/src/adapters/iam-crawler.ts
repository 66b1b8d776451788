import {
  IAMClient,
  paginateGetAccountAuthorizationDetails,
  type GetAccountAuthorizationDetailsCommandOutput,
} from '@aws-sdk/client-iam';
import { awsClientConfig, translateAwsError, translatePageErrors } from '@rolecall/shared/aws';
import type { CrawledItem } from '@rolecall/shared/contracts';
import type { Crawler } from '../domain/ports.js';
import { mapGroupDetail, mapManagedPolicyDetail, mapRoleDetail, mapUserDetail } from './iam-mapping.js';
import type { SpokeAccess } from './spoke-access.js';

export type AuthorizationDetailsPage = Pick<
  GetAccountAuthorizationDetailsCommandOutput,
  'RoleDetailList' | 'UserDetailList' | 'GroupDetailList' | 'Policies' | 'Marker'
>;

/**
 * Maps each page's items as it arrives, before the next page is asked for, so memory holds one page at a
 * time however many roles an account has.
 */
export async function* readAuthorizationDetails(
  pages: AsyncIterable<AuthorizationDetailsPage>,
  accountId: string,
): AsyncGenerator<CrawledItem> {
  const seenMarkers = new Set<string>();
  for await (const page of pages) {
    for (const role of page.RoleDetailList ?? []) yield* present(mapRoleDetail(role, accountId));
    for (const user of page.UserDetailList ?? []) yield* present(mapUserDetail(user, accountId));
    for (const group of page.GroupDetailList ?? []) yield* present(mapGroupDetail(group, accountId));
    for (const policy of page.Policies ?? []) yield* present(mapManagedPolicyDetail(policy, accountId));
    if (!page.Marker) continue;
    // A server handing back a marker it gave before would page forever, and the paginator's own guard
    // (stopOnSameToken) would end the listing early without a word: the sweep would then delete the rest.
    if (seenMarkers.has(page.Marker)) throw new Error('GetAccountAuthorizationDetails repeated a marker');
    seenMarkers.add(page.Marker);
  }
}

function* present(item: CrawledItem | undefined): Generator<CrawledItem> {
  if (item) yield item;
}

/** IAM roles, users, groups and customer managed policies of one account, through its spoke role. */
export function createIamCrawler(options: { access: SpokeAccess; pageSize?: number }): Crawler {
  return async function* crawlIam(target, signal) {
    const client = new IAMClient(awsClientConfig('iam', await options.access.open(target.accountId)));
    const pages = translatePageErrors(
      paginateGetAccountAuthorizationDetails(
        { client, pageSize: options.pageSize },
        { Filter: ['Role', 'User', 'Group', 'LocalManagedPolicy'] },
        { abortSignal: signal },
      ),
      (error) =>
        translateAwsError(error, {
          operation: 'iam:GetAccountAuthorizationDetails',
          accountId: target.accountId,
        }),
    );
    try {
      yield* readAuthorizationDetails(pages, target.accountId);
    } finally {
      client.destroy();
    }
  };
}
