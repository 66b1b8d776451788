import { DEMO_USERS, type DemoAccount } from '@rolecall/testing';
import type { FuzzDictionary } from './schemathesis.js';
import type { Stack } from './stack.js';

/** Words the demo organization's ARNs and names contain, for the search and typeahead parameters. */
const SEARCH_TERMS = ['prod', 'admin', 'role', 'payments', 'bucket', 'queue', 'arn:aws:iam'];

/**
 * Values the crawl put in the cache, read back through the API as an admin, for the parameters that
 * name a crawled thing: some cases then hit real roles, accounts and resources (and their 200 schemas).
 */
export async function crawledDictionaries(
  stack: Stack,
  accounts: DemoAccount[],
): Promise<Record<string, FuzzDictionary>> {
  const list = async (type: string) => {
    const response = await stack.api(`/api/v3/resources?type=${type}&limit=500`);
    if (response.status !== 200)
      throw new Error(`resources ${type}: ${response.status} ${await response.text()}`);
    return ((await response.json()) as { data: { arn: string }[] }).data.map((r) => r.arn);
  };
  const [roleArns, buckets, queues, topics] = await Promise.all(
    ['iam_role', 's3_bucket', 'sqs_queue', 'sns_topic'].map(list),
  );
  // The trailing path of /api/v2/resources/{account}/{s3|sqs|sns}/…: a bucket's name, <region>/<name> otherwise.
  const regional = (arn: string) => {
    const [, , , region, , name] = arn.split(':');
    return `${region}/${name}`;
  };
  const resourcePaths = [
    ...buckets!.map((arn) => arn.slice('arn:aws:s3:::'.length)),
    ...queues!.map(regional),
    ...topics!.map(regional),
  ];
  return {
    accountIds: {
      values: accounts.map((a) => a.id),
      parameters: ['path.accountId', 'query.account', 'query.account_id'],
      probability: 0.5,
    },
    roleNames: {
      values: [...new Set(roleArns!.map((arn) => arn.slice(arn.lastIndexOf('/') + 1)))],
      parameters: ['path.roleName'],
      probability: 0.5,
    },
    roleArns: {
      values: roleArns!,
      parameters: ['body.requested_role', 'query.role'],
      probability: 0.5,
    },
    roleLogin: {
      values: roleArns!,
      parameters: ['path.*'],
      paths: ['/api/v2/role_login/{*}'],
      probability: 0.5,
    },
    resourcePaths: {
      values: resourcePaths,
      parameters: ['path.*'],
      paths: ['/api/v2/resources/{accountId}/{kind}/{*}'],
      probability: 0.5,
    },
    arns: {
      values: [...roleArns!, ...buckets!, ...queues!, ...topics!],
      parameters: ['query.arn'],
      probability: 0.5,
    },
    searchTerms: {
      values: SEARCH_TERMS,
      parameters: ['query.query', 'query.typeahead', 'query.search'],
      probability: 0.5,
    },
    users: {
      values: DEMO_USERS.map((u) => u.email),
      parameters: ['query.user', 'path.user'],
      probability: 0.5,
    },
  };
}
