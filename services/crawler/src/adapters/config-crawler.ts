import {
  BatchGetResourceConfigCommand,
  ConfigServiceClient,
  DescribeConfigurationRecordersCommand,
  paginateListDiscoveredResources,
  paginateSelectResourceConfig,
  type ResourceKey,
  type ResourceType,
} from '@aws-sdk/client-config-service';
import { awsClientConfig, isAwsErrorNamed, translatePageErrors } from '@rolecall/shared/aws';
import type { CrawledItem, Tags } from '@rolecall/shared/contracts';
import type { Logger } from '@rolecall/shared/log';
import type { Crawler } from '../domain/ports.js';
import { decodePolicyDocument } from './aws-mapping.js';
import { createRegionalCrawler } from './regional-crawler.js';
import type { SpokeAccess } from './spoke-access.js';

/** A configuration item as BatchGetResourceConfig or SelectResourceConfig (`SELECT *`) returns it. */
export interface RawConfigItem {
  arn?: string | undefined;
  resourceType?: string | undefined;
  resourceId?: string | undefined;
  resourceName?: string | undefined;
  awsRegion?: string | undefined;
  availabilityZone?: string | undefined;
  configurationItemCaptureTime?: Date | string | undefined;
  configurationItemStatus?: string | undefined;
  resourceCreationTime?: Date | string | undefined;
  /** A JSON string from BatchGet, an object from Select. */
  configuration?: unknown;
  supplementaryConfiguration?: Record<string, unknown> | undefined;
  tags?: unknown;
}

const parseJson = (value: unknown): unknown =>
  typeof value === 'string' ? decodePolicyDocument(value) : value;

/** Tags arrive as `[{key, value}]` (Select), `{k: v}`, or inside the configuration for some types. */
export function configTags(item: RawConfigItem, configuration: unknown): Tags {
  const candidates = [item.tags, (configuration as { tags?: unknown } | null)?.tags];
  for (const candidate of candidates) {
    if (Array.isArray(candidate)) {
      const tags: Tags = {};
      for (const entry of candidate as { key?: unknown; value?: unknown; Key?: unknown; Value?: unknown }[]) {
        const key = entry.key ?? entry.Key;
        const value = entry.value ?? entry.Value;
        if (typeof key === 'string') tags[key] = typeof value === 'string' ? value : '';
      }
      return tags;
    }
    if (candidate && typeof candidate === 'object') {
      return Object.fromEntries(
        Object.entries(candidate as Record<string, unknown>).map(([k, v]) => [
          k,
          typeof v === 'string' ? v : String(v),
        ]),
      );
    }
  }
  return {};
}

const iso = (value: Date | string | undefined) =>
  value === undefined ? undefined : value instanceof Date ? value.toISOString() : value;

export function mapConfigItem(
  item: RawConfigItem,
  accountId: string,
  region: string,
): CrawledItem | undefined {
  if (!item.resourceType || !item.resourceId) return undefined;
  const configuration = parseJson(item.configuration) ?? null;
  const supplementary = Object.fromEntries(
    Object.entries(item.supplementaryConfiguration ?? {}).map(([k, v]) => [k, parseJson(v)]),
  );
  const itemRegion = item.awsRegion ?? region;
  const details: Record<string, unknown> = {
    resourceType: item.resourceType,
    resourceId: item.resourceId,
    configuration,
    supplementaryConfiguration: supplementary,
  };
  const captured = iso(item.configurationItemCaptureTime);
  if (captured) details.configurationItemCaptureTime = captured;
  if (item.configurationItemStatus) details.configurationItemStatus = item.configurationItemStatus;
  const created = iso(item.resourceCreationTime);
  if (created) details.resourceCreationTime = created;
  if (item.availabilityZone) details.availabilityZone = item.availabilityZone;
  return {
    // Some resource types have no ARN; the key still has to be unique and stable.
    arn:
      item.arn ||
      `arn:aws:config:${itemRegion}:${accountId}:resource/${item.resourceType}/${item.resourceId}`,
    itemType: 'config_resource',
    accountId,
    region: itemRegion,
    name: item.resourceName || item.resourceId,
    tags: configTags(item, configuration),
    details,
  };
}

const UNSUPPORTED_ERRORS = [
  'NotImplemented',
  'NotImplementedException',
  'UnsupportedOperation',
  'UnsupportedOperationException',
  'InvalidAction',
  'UnknownOperationException',
  'InvalidExpressionException',
];

/** Whether a SelectResourceConfig failure means "this endpoint cannot do it" rather than a real fault. */
export function isSelectUnsupported(error: unknown): boolean {
  const status = (error as { $metadata?: { httpStatusCode?: number } })?.$metadata?.httpStatusCode;
  return (
    isAwsErrorNamed(error, ...UNSUPPORTED_ERRORS) ||
    status === 501 ||
    /not (yet |been )?implemented|not supported/i.test(String((error as Error)?.message))
  );
}

export const selectExpression = (resourceTypes: readonly string[]) =>
  `SELECT * WHERE resourceType IN (${resourceTypes.map((t) => `'${t.replace(/'/g, "''")}'`).join(', ')})`;

/**
 * AWS Config resources of the configured types in every configured region. SelectResourceConfig is
 * one query per region; an endpoint without it (moto answers an empty stub) is noticed once and from
 * then on served by ListDiscoveredResources + BatchGetResourceConfig.
 */
export function createConfigCrawler(options: {
  access: SpokeAccess;
  regions: readonly string[];
  resourceTypes: readonly string[];
  useSelect: boolean;
  log: Logger;
}): Crawler {
  let selectSupported = options.useSelect;
  const markUnsupported = (reason: string) => {
    if (!selectSupported) return;
    selectSupported = false;
    options.log.warn(
      { reason },
      'SelectResourceConfig unsupported by this endpoint; using ListDiscoveredResources',
    );
  };

  return createRegionalCrawler({
    access: options.access,
    // No resource types configured: nothing to ask any region for.
    regions: options.resourceTypes.length === 0 ? [] : options.regions,
    newClient: (clientOptions) => new ConfigServiceClient(awsClientConfig('config', clientOptions)),
    crawlRegion: async function* (client, { target, region, signal, fail }) {
      const recorders = await client
        .send(new DescribeConfigurationRecordersCommand({}), { abortSignal: signal })
        .catch((error: unknown) => {
          throw fail('config:DescribeConfigurationRecorders', error);
        });
      // Without a recorder Config knows nothing here; that is a fact about the account, not a failure.
      if ((recorders.ConfigurationRecorders ?? []).length === 0) return;

      if (selectSupported) {
        let answered = false;
        try {
          for await (const page of selectPages(client, options.resourceTypes, signal)) {
            if (page === 'unsupported') {
              markUnsupported('empty answer with no select fields');
              break;
            }
            answered = true;
            for (const row of page) yield* present(mapConfigItem(row, target.accountId, region));
          }
        } catch (error) {
          if (answered || !isSelectUnsupported(error)) throw fail('config:SelectResourceConfig', error);
          markUnsupported(`${(error as Error).name}: ${(error as Error).message}`);
        }
        if (answered) return;
      }

      for (const resourceType of options.resourceTypes) {
        const pages = translatePageErrors(
          paginateListDiscoveredResources(
            { client, pageSize: 100 },
            { resourceType: resourceType as ResourceType },
            { abortSignal: signal },
          ),
          (error) => fail('config:ListDiscoveredResources', error),
        );
        for await (const page of pages) {
          const keys: ResourceKey[] = (page.resourceIdentifiers ?? []).flatMap((r) =>
            r.resourceType && r.resourceId
              ? [{ resourceType: r.resourceType, resourceId: r.resourceId }]
              : [],
          );
          for (const item of await batchGet(client, keys, signal).catch((error: unknown) => {
            throw fail('config:BatchGetResourceConfig', error);
          })) {
            yield* present(mapConfigItem(item, target.accountId, region));
          }
        }
      }
    },
  });
}

function* present(item: CrawledItem | undefined): Generator<CrawledItem> {
  if (item) yield item;
}

/**
 * Yields the query's rows a page at a time. Yields 'unsupported' instead when the endpoint answers the
 * first page with no rows and no field list: a real Config endpoint always names the fields it selected.
 */
async function* selectPages(
  client: ConfigServiceClient,
  resourceTypes: readonly string[],
  signal: AbortSignal,
): AsyncGenerator<RawConfigItem[] | 'unsupported'> {
  let first = true;
  const pages = paginateSelectResourceConfig(
    { client, pageSize: 100 },
    { Expression: selectExpression(resourceTypes) },
    { abortSignal: signal },
  );
  for await (const page of pages) {
    const rows = (page.Results ?? []).map((result) => JSON.parse(result) as RawConfigItem);
    if (first && rows.length === 0 && (page.QueryInfo?.SelectFields ?? []).length === 0 && !page.NextToken) {
      yield 'unsupported';
      return;
    }
    first = false;
    yield rows;
  }
}

/**
 * BatchGetResourceConfig takes 100 keys at most and may hand some back unprocessed; ask again for those.
 * A loop of ours: the SDK has no paginator for unprocessed keys of this operation.
 */
async function batchGet(
  client: ConfigServiceClient,
  keys: ResourceKey[],
  signal: AbortSignal,
): Promise<RawConfigItem[]> {
  const items: RawConfigItem[] = [];
  for (let start = 0; start < keys.length; start += 100) {
    let pending = keys.slice(start, start + 100);
    for (let attempt = 0; pending.length > 0 && attempt < 5; attempt += 1) {
      const result = await client.send(new BatchGetResourceConfigCommand({ resourceKeys: pending }), {
        abortSignal: signal,
      });
      items.push(...(result.baseConfigurationItems ?? []));
      pending = result.unprocessedResourceKeys ?? [];
    }
    if (pending.length > 0) {
      throw new Error(`BatchGetResourceConfig left ${pending.length} resource(s) unprocessed after retries`);
    }
  }
  return items;
}
