/**
 * The last complete crawl of one partition (account × crawl type). A complete crawl deletes what it did
 * not see, so every live item of the partition was seen by it: an item unchanged since it was written
 * needs no write to be shown as seen by that crawl.
 */
export interface PartitionFreshness {
  startedAt: string;
  crawlId: string;
  jobId: string;
}

/**
 * An item's (or summary's) freshness as the API shows it: the later of its own write and its partition's
 * last complete crawl, with that crawl's ids when it is the later one (ISO-8601 UTC times compare as strings).
 */
export function withFreshness<T extends { lastSeenAt: string; lastCrawlId?: string; lastJobId?: string }>(
  item: T,
  partition: PartitionFreshness | undefined,
): T {
  if (!partition || partition.startedAt <= item.lastSeenAt) return item;
  const fresher: T = { ...item, lastSeenAt: partition.startedAt };
  if (item.lastCrawlId !== undefined) fresher.lastCrawlId = partition.crawlId;
  if (item.lastJobId !== undefined) fresher.lastJobId = partition.jobId;
  return fresher;
}
