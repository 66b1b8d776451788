import type { JetStreamClient } from '@nats-io/jetstream';
import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient, GetCommand, TransactWriteCommand } from '@aws-sdk/lib-dynamodb';
import { isAwsErrorNamed, scanPages, translateAwsError } from '../aws/index.js';
import { configEvents } from '../contracts/config.js';
import { AppError } from '../errors/index.js';
import { publishEvent } from '../nats/messaging.js';
import { parseDynamicConfig, sha256Of } from './parse.js';
import type { DynamicConfigDocument } from './schema.js';

const MASTER_ID = 'master';
const text = (value: unknown): string => (typeof value === 'string' ? value : '');
const HISTORY_PREFIX = 'history#';

/** One saved version of the document. */
export interface DynamicConfigVersion {
  yaml: string;
  sha256: string;
  updatedBy: string;
  updatedAt: string;
}

/** The current document; `updatedBy`/`updatedAt` are absent until the first save. */
export interface LoadedDynamicConfig {
  yaml: string;
  sha256: string;
  config: DynamicConfigDocument;
  updatedBy?: string;
  updatedAt?: string;
}

export interface DynamicConfigStore {
  /** The current document (strongly consistent read); an empty document before the first save. */
  load(): Promise<LoadedDynamicConfig>;
  /**
   * Validates and saves `yaml` if the current sha256 is still `expectedSha256`, keeping the replaced
   * version as history, then announces `config.dynamic.changed`. A stale sha → CONFLICT naming the
   * current sha; invalid or unchanged content → VALIDATION_FAILED. Nothing is written in either case.
   */
  save(yaml: string, expectedSha256: string, user: string): Promise<LoadedDynamicConfig>;
  /** Replaced versions, newest first. */
  history(limit?: number): Promise<DynamicConfigVersion[]>;
}

export interface DynamicConfigStoreOptions {
  dynamo: DynamoDBClient;
  tableName: string;
  /** Where saves are announced; without it `save` writes but announces nothing (tools, unit tests). */
  js?: JetStreamClient;
  /** Names the saving process in the event envelope. */
  source?: string;
  now?: () => Date;
}

export function createDynamicConfigStore(options: DynamicConfigStoreOptions): DynamicConfigStore {
  const doc = DynamoDBDocumentClient.from(options.dynamo);
  const { tableName } = options;
  const now = options.now ?? (() => new Date());

  const load = async (): Promise<LoadedDynamicConfig> => {
    let item: Record<string, unknown> | undefined;
    try {
      const result = await doc.send(
        new GetCommand({ TableName: tableName, Key: { id: MASTER_ID }, ConsistentRead: true }),
      );
      item = result.Item;
    } catch (error) {
      throw translateAwsError(error, { operation: 'DynamoDB GetItem', table: tableName });
    }
    if (!item) return { yaml: '', sha256: sha256Of(''), config: {} };
    const yaml = text(item.yaml);
    return {
      yaml,
      sha256: text(item.sha256),
      // A stored document was valid when saved; if a stricter schema now refuses it, services keep
      // running with an empty document (granting nothing from it) rather than failing to start.
      config: parseLeniently(yaml),
      updatedBy: text(item.updatedBy),
      updatedAt: text(item.updatedAt),
    };
  };

  return {
    load,

    async save(yaml, expectedSha256, user) {
      const config = parseDynamicConfig(yaml);
      const current = await load();
      const conflict = (currentSha: string) =>
        new AppError(
          'CONFLICT',
          `dynamic config changed since you loaded it (current sha256 ${currentSha}); reload and apply your edit again`,
          { context: { currentSha256: currentSha, expectedSha256 } },
        );
      if (expectedSha256 !== current.sha256) throw conflict(current.sha256);
      const sha256 = sha256Of(yaml);
      if (sha256 === current.sha256) {
        throw new AppError('VALIDATION_FAILED', 'dynamic config is unchanged; nothing to save', {
          context: { sha256 },
        });
      }
      let at = now();
      // History items are keyed by the replaced version's time, so versions need distinct times.
      if (current.updatedAt && at.toISOString() <= current.updatedAt) {
        at = new Date(Date.parse(current.updatedAt) + 1);
      }
      const updatedAt = at.toISOString();
      const saved: DynamicConfigVersion = { yaml, sha256, updatedBy: user, updatedAt };
      try {
        await doc.send(
          new TransactWriteCommand({
            TransactItems: [
              {
                Put: {
                  TableName: tableName,
                  Item: { id: MASTER_ID, ...saved },
                  ...(current.updatedAt
                    ? {
                        ConditionExpression: '#sha = :expected',
                        ExpressionAttributeNames: { '#sha': 'sha256' },
                        ExpressionAttributeValues: { ':expected': expectedSha256 },
                      }
                    : {
                        ConditionExpression: 'attribute_not_exists(#id)',
                        ExpressionAttributeNames: { '#id': 'id' },
                      }),
                },
              },
              ...(current.updatedAt
                ? [
                    {
                      Put: {
                        TableName: tableName,
                        Item: {
                          id: `${HISTORY_PREFIX}${current.updatedAt}`,
                          yaml: current.yaml,
                          sha256: current.sha256,
                          updatedBy: current.updatedBy,
                          updatedAt: current.updatedAt,
                        },
                        ConditionExpression: 'attribute_not_exists(#id)',
                        ExpressionAttributeNames: { '#id': 'id' },
                      },
                    },
                  ]
                : []),
            ],
          }),
        );
      } catch (error) {
        if (isAwsErrorNamed(error, 'TransactionCanceledException', 'ConditionalCheckFailedException')) {
          throw conflict((await load()).sha256);
        }
        throw translateAwsError(error, { operation: 'DynamoDB TransactWriteItems', table: tableName });
      }
      if (options.js) {
        try {
          await publishEvent(
            options.js,
            configEvents.dynamicConfigChanged,
            { sha256, updatedBy: user, updatedAt },
            { source: options.source ?? 'dynamic-config' },
          );
        } catch (error) {
          throw new AppError(
            'UPSTREAM_UNAVAILABLE',
            `dynamic config saved (sha256 ${sha256}) but announcing it failed; services see it at their next start or change`,
            { cause: error, context: { sha256 } },
          );
        }
      }
      return { yaml, sha256, config, updatedBy: user, updatedAt };
    },

    async history(limit = 50) {
      // The table holds one document's versions only: a small scan, sorted here.
      const versions: DynamicConfigVersion[] = [];
      const pages = scanPages(doc, {
        TableName: tableName,
        FilterExpression: 'begins_with(#id, :history)',
        ExpressionAttributeNames: { '#id': 'id' },
        ExpressionAttributeValues: { ':history': HISTORY_PREFIX },
      });
      // scanPages already translates AWS errors (operation and table in the context).
      for await (const page of pages) {
        for (const item of page) {
          versions.push({
            yaml: text(item.yaml),
            sha256: text(item.sha256),
            updatedBy: text(item.updatedBy),
            updatedAt: text(item.updatedAt),
          });
        }
      }
      return versions.sort((a, b) => (a.updatedAt < b.updatedAt ? 1 : -1)).slice(0, limit);
    },
  };
}

function parseLeniently(yaml: string): DynamicConfigDocument {
  try {
    return parseDynamicConfig(yaml);
  } catch {
    return {};
  }
}
