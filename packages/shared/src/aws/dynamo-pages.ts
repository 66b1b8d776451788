import {
  paginateQuery,
  paginateScan,
  type DynamoDBDocumentClient,
  type QueryCommandInput,
  type ScanCommandInput,
} from '@aws-sdk/lib-dynamodb';
import { translateAwsError } from './translate-aws-error.js';
import { translatePageErrors } from './translate-page-errors.js';

type Row = Record<string, unknown>;

/** The rows of every page of a Query, read by the SDK's paginator one page at a time; empty pages skipped. */
export const queryPages = (doc: DynamoDBDocumentClient, input: QueryCommandInput): AsyncIterable<Row[]> =>
  rowsOf(paginateQuery({ client: doc }, input), { operation: 'DynamoDB Query', table: input.TableName });

/** The rows of every page of a Scan, read by the SDK's paginator one page at a time; empty pages skipped. */
export const scanPages = (doc: DynamoDBDocumentClient, input: ScanCommandInput): AsyncIterable<Row[]> =>
  rowsOf(paginateScan({ client: doc }, input), { operation: 'DynamoDB Scan', table: input.TableName });

/** Every row of a table, read consistently, page by page. */
export const scanTable = (doc: DynamoDBDocumentClient, tableName: string): AsyncIterable<Row[]> =>
  scanPages(doc, { TableName: tableName, ConsistentRead: true });

async function* rowsOf(
  pages: AsyncIterable<{ Items?: Row[] }>,
  context: Record<string, unknown>,
): AsyncIterable<Row[]> {
  for await (const page of translatePageErrors(pages, (error) => translateAwsError(error, context))) {
    if (page.Items && page.Items.length > 0) yield page.Items;
  }
}
