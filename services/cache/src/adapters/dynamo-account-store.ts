import { DeleteCommand, PutCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { scanTable, type TableNames, translateAwsError } from '@rolecall/shared/aws';
import type { AwsAccount } from '@rolecall/shared/contracts';
import type { AccountStore } from '../domain/ports.js';

/** The accounts table (key `id` = account id) holds the latest discovery. */
export function createDynamoAccountStore(options: {
  doc: DynamoDBDocumentClient;
  tables: TableNames;
}): AccountStore {
  const { doc } = options;
  const TableName = options.tables.accounts;

  async function list(): Promise<AwsAccount[]> {
    const accounts: AwsAccount[] = [];
    try {
      for await (const page of scanTable(doc, TableName)) {
        for (const item of page) {
          accounts.push({
            id: String(item.id),
            name: String(item.name),
            status: String(item.status),
            ...(typeof item.email === 'string' ? { email: item.email } : {}),
          });
        }
      }
    } catch (error) {
      throw translateAwsError(error, { operation: 'DynamoDB Scan', table: TableName });
    }
    return accounts;
  }

  return {
    list,
    async replaceAll(accounts) {
      try {
        for (const account of accounts) {
          await doc.send(new PutCommand({ TableName, Item: { ...account } }));
        }
        const keep = new Set(accounts.map((a) => a.id));
        for (const existing of await list()) {
          if (!keep.has(existing.id))
            await doc.send(new DeleteCommand({ TableName, Key: { id: existing.id } }));
        }
      } catch (error) {
        throw translateAwsError(error, { operation: 'DynamoDB write accounts', table: TableName });
      }
    },
  };
}
