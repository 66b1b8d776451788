import type { CachedItem } from '@rolecall/shared/contracts';
import { parseArn } from '@rolecall/shared/iam';

/**
 * The UI path of a cached resource, as ConsoleMe's `get_resource_url` answers (`weep open` prints it
 * after the UI base URL). Undefined for kinds the policy editor does not show.
 */
export function resourceUrlFor(item: CachedItem): string | undefined {
  const account = item.accountId;
  const parts = parseArn(item.arn);
  switch (item.itemType) {
    case 'iam_role':
      return `/policies/edit/${account}/iamrole/${item.name}`;
    case 'iam_user':
      return `/policies/edit/${account}/iamuser/${item.name}`;
    case 's3_bucket':
      return `/policies/edit/${account}/s3/${item.name}`;
    case 'sqs_queue':
      return parts ? `/policies/edit/${account}/sqs/${parts.region}/${item.name}` : undefined;
    case 'sns_topic':
      return parts ? `/policies/edit/${account}/sns/${parts.region}/${item.name}` : undefined;
    case 'managed_policy': {
      const path = parts?.resource.replace(/^policy\//, '');
      return path ? `/policies/edit/${account}/managed_policy/${path}` : undefined;
    }
    default:
      return undefined;
  }
}
