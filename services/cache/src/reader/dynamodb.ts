/*
 * @rolecall/cache/reader/dynamodb: how other services read rows of the cache's DynamoDB roles and resources
 * tables, checked against the contracts' schemas (the broker, when Redis holds no authorization mapping).
 */
export type { CorruptionCounts } from './corrupt-entries.js';
export { createItemRowReader, type ItemRowReader } from './item-row-reader.js';
