import { ScanCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';

type Row = Record<string, unknown>;

/** Follows LastEvaluatedKey through every page of a Query or Scan, one page at a time. */
export async function* pagesOf(
  run: (startKey: Row | undefined) => Promise<{ Items?: Row[]; LastEvaluatedKey?: Row }>,
): AsyncIterable<Row[]> {
  let startKey: Row | undefined;
  do {
    const page = await run(startKey);
    if (page.Items && page.Items.length > 0) yield page.Items;
    startKey = page.LastEvaluatedKey;
  } while (startKey);
}

/** Every row of a table, read consistently, page by page. */
export const scanTable = (doc: DynamoDBDocumentClient, tableName: string): AsyncIterable<Row[]> =>
  pagesOf((startKey) =>
    doc.send(new ScanCommand({ TableName: tableName, ConsistentRead: true, ExclusiveStartKey: startKey })),
  );
