import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { createItemRowReader } from '@rolecall/cache/reader/dynamodb';
import { scanPages, translateAwsError } from '@rolecall/shared/aws';
import { createLogger, type Logger } from '@rolecall/shared/log';
import type { RoleSource } from '../domain/ports.js';
import { factsOfRole, type RoleFacts } from '../domain/roles.js';

/**
 * Every role in the cache's durable roles table (the source of truth; Redis may be empty). Items a
 * sweep is deleting (`deletedByJob`) are already gone as far as the broker is concerned. Rows are read
 * through the cache's reader of its table: a corrupt one is logged once, counted and left out.
 */
export function createDynamoRoleSource(options: {
  doc: DynamoDBDocumentClient;
  tableName: string;
  /** Where corrupt rows are reported; without it, a logger of its own on stdout. */
  log?: Logger;
}): RoleSource {
  const rows = createItemRowReader({
    tableName: options.tableName,
    log: options.log ?? createLogger({ service: 'broker' }).child({ component: 'role-source' }),
  });
  const factsOf = (row: Record<string, unknown>): RoleFacts[] => {
    const role = rows.readRole(row);
    return role === undefined ? [] : [factsOfRole(role)];
  };
  return {
    async listRoles() {
      const roles: RoleFacts[] = [];
      const pages = scanPages(options.doc, {
        TableName: options.tableName,
        ConsistentRead: true,
        FilterExpression: 'attribute_not_exists(#deleted) AND #type = :role',
        ExpressionAttributeNames: { '#deleted': 'deletedByJob', '#type': 'itemType' },
        ExpressionAttributeValues: { ':role': 'iam_role' },
      });
      try {
        for await (const page of pages) {
          for (const row of page) roles.push(...factsOf(row));
        }
      } catch (error) {
        throw translateAwsError(error, { operation: 'DynamoDB Scan', table: options.tableName });
      }
      return roles;
    },
  };
}
