import { GetCommand, UpdateCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { isAwsErrorNamed, translateAwsError } from '@rolecall/shared/aws';
import type { ExpiryKey, ClaimOutcome, ExpiryClaims } from '../domain/ports.js';
export type { ExpiryKey, ClaimOutcome, ExpiryClaims };

const claimSortKey = (changeId: string) => `expiry#${changeId}`;

/**
 * Claims as rows `expiry#<change id>` of the requests table, under the request's id, taken by one
 * conditional UpdateItem each: `claimedBy`/`claimedUntil` (epoch ms) are set only when the row is new,
 * or its lease is over and it is not `completedAt`. DynamoDB decides between concurrent claims, so of
 * two processes at most one gets `claimed`. Kept apart from the request row, whose versioned writes
 * replace the whole row.
 */
export function createDynamoExpiryClaims(options: {
  doc: DynamoDBDocumentClient;
  tableName: string;
  /** This process, as recorded in `claimedBy` (host and pid, or a uuid). */
  owner: string;
  now?: () => Date;
}): ExpiryClaims {
  const { doc, tableName, owner } = options;
  const now = options.now ?? (() => new Date());
  const keyOf = (key: ExpiryKey) => ({ id: key.requestId, sk: claimSortKey(key.changeId) });
  const context = (key: ExpiryKey) => ({ table: tableName, ...key, operation: 'DynamoDB UpdateItem' });

  /** Runs a conditional update; false when its condition did not hold. */
  const conditional = async (
    key: ExpiryKey,
    input: Omit<ConstructorParameters<typeof UpdateCommand>[0], 'TableName' | 'Key'>,
  ) => {
    try {
      await doc.send(new UpdateCommand({ TableName: tableName, Key: keyOf(key), ...input }));
      return true;
    } catch (error) {
      if (isAwsErrorNamed(error, 'ConditionalCheckFailedException')) return false;
      throw translateAwsError(error, context(key));
    }
  };

  return {
    async claim(key, leaseMs) {
      const at = now().getTime();
      try {
        await doc.send(
          new UpdateCommand({
            TableName: tableName,
            Key: keyOf(key),
            UpdateExpression: 'SET claimedBy = :owner, claimedUntil = :until, claimedAt = :at',
            ConditionExpression:
              'attribute_not_exists(sk) OR (attribute_not_exists(completedAt) AND (attribute_not_exists(claimedUntil) OR claimedUntil < :now))',
            ExpressionAttributeValues: {
              ':owner': owner,
              ':until': at + leaseMs,
              ':at': new Date(at).toISOString(),
              ':now': at,
            },
            ReturnValuesOnConditionCheckFailure: 'ALL_OLD',
          }),
        );
        return 'claimed';
      } catch (error) {
        if (!isAwsErrorNamed(error, 'ConditionalCheckFailedException')) {
          throw translateAwsError(error, context(key));
        }
        const old =
          (error as { Item?: Record<string, unknown> }).Item ??
          (await doc
            .send(new GetCommand({ TableName: tableName, Key: keyOf(key), ConsistentRead: true }))
            .then((result) => result.Item)
            .catch((caught: unknown) => {
              throw translateAwsError(caught, { ...context(key), operation: 'DynamoDB GetItem' });
            }));
        return old && 'completedAt' in old ? 'done' : 'held';
      }
    },

    renew: (key, leaseMs) =>
      conditional(key, {
        UpdateExpression: 'SET claimedUntil = :until',
        ConditionExpression: 'claimedBy = :owner AND attribute_not_exists(completedAt)',
        ExpressionAttributeValues: { ':owner': owner, ':until': now().getTime() + leaseMs },
      }),

    async release(key) {
      await conditional(key, {
        UpdateExpression: 'REMOVE claimedBy, claimedUntil',
        ConditionExpression: 'claimedBy = :owner AND attribute_not_exists(completedAt)',
        ExpressionAttributeValues: { ':owner': owner },
      });
    },

    complete: (key) =>
      conditional(key, {
        UpdateExpression: 'SET completedAt = :at',
        ConditionExpression: 'claimedBy = :owner AND attribute_not_exists(completedAt)',
        ExpressionAttributeValues: { ':owner': owner, ':at': now().toISOString() },
      }),
  };
}
