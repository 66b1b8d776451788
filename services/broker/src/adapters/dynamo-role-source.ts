import { ScanCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { fromItemRow, pagesOf, translateAwsError } from '@rolecall/shared/aws';
import type { CachedItem } from '@rolecall/shared/contracts';
import type { RoleSource } from '../domain/ports.js';
import { toRoleFacts, type RoleFacts } from '../domain/roles.js';

/**
 * Every role in the cache's durable roles table (the source of truth; Redis may be empty). Items a
 * sweep is deleting (`deletedByJob`) are already gone as far as the broker is concerned.
 */
export function createDynamoRoleSource(options: {
  doc: DynamoDBDocumentClient;
  tableName: string;
}): RoleSource {
  return {
    async listRoles() {
      const roles: RoleFacts[] = [];
      const pages = pagesOf((startKey) =>
        options.doc.send(
          new ScanCommand({
            TableName: options.tableName,
            ConsistentRead: true,
            FilterExpression: 'attribute_not_exists(#deleted) AND #type = :role',
            ExpressionAttributeNames: { '#deleted': 'deletedByJob', '#type': 'itemType' },
            ExpressionAttributeValues: { ':role': 'iam_role' },
            ExclusiveStartKey: startKey,
          }),
        ),
      );
      try {
        for await (const page of pages) {
          for (const row of page) roles.push(toRoleFacts(fromItemRow<CachedItem>(row)));
        }
      } catch (error) {
        throw translateAwsError(error, { operation: 'DynamoDB Scan', table: options.tableName });
      }
      return roles;
    },
  };
}
