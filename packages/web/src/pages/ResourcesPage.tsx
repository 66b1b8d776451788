import Box from '@cloudscape-design/components/box';
import Button from '@cloudscape-design/components/button';
import FormField from '@cloudscape-design/components/form-field';
import Header from '@cloudscape-design/components/header';
import Input from '@cloudscape-design/components/input';
import Link from '@cloudscape-design/components/link';
import Pagination from '@cloudscape-design/components/pagination';
import Select from '@cloudscape-design/components/select';
import SpaceBetween from '@cloudscape-design/components/space-between';
import StatusIndicator from '@cloudscape-design/components/status-indicator';
import Table, { type TableProps } from '@cloudscape-design/components/table';
import { useQueryClient } from '@tanstack/react-query';
import { useMemo, useState } from 'react';
import { useSearchParams } from 'react-router';
import {
  ITEM_TYPE_LABELS,
  resourcePagePath,
  resourcePageQuery,
  useCacheStatus,
  useResourcePage,
  type ResourceFilter,
} from '../api/resources';
import { useSession } from '../api/session';
import type { CacheStatusRow, ResourceRow } from '../api/types';
import { ErrorAlert } from '../components/ErrorAlert';
import { useFollow } from '../app/Layout';
import { timeAgo } from '../lib/time';

const PAGE_SIZE = 50;
const NO_ROWS: ResourceRow[] = [];
const ANY = { label: 'Any', value: '' };
const TYPE_OPTIONS = [ANY, ...Object.entries(ITEM_TYPE_LABELS).map(([value, label]) => ({ label, value }))];

/**
 * Every cached resource across accounts. Filtering and paging happen on the server (cursor pages in ARN
 * order), so the page stays as quick at 100k resources as at 100. Filters live in the URL: shareable.
 */
export default function ResourcesPage() {
  const follow = useFollow();
  const client = useQueryClient();
  const [params, setParams] = useSearchParams();
  const filter: ResourceFilter = {
    query: params.get('query') ?? '',
    type: params.get('type') ?? '',
    account: params.get('account') ?? '',
    tag: params.get('tag') ?? '',
  };
  // Cursors of the pages seen so far, for going back; page 1 has none.
  const [cursors, setCursors] = useState<(string | undefined)[]>([undefined]);
  const [pageIndex, setPageIndex] = useState(0);
  const page = useResourcePage(filter, cursors[pageIndex], PAGE_SIZE);
  const status = useCacheStatus();

  const setFilter = (key: keyof ResourceFilter, value: string) => {
    // The answer is asked for now, while the page redraws for the new filter, not after.
    void client.prefetchQuery(resourcePageQuery({ ...filter, [key]: value }, undefined, PAGE_SIZE));
    const next = new URLSearchParams(params);
    if (value) next.set(key, value);
    else next.delete(key);
    setParams(next, { replace: true });
    setCursors([undefined]);
    setPageIndex(0);
  };

  const accounts = useMemo(() => {
    const seen = new Map<string, string>();
    for (const row of status.data ?? []) seen.set(row.accountId, row.accountName);
    return [...seen].sort((a, b) => a[1].localeCompare(b[1]));
  }, [status.data]);
  const accountOptions = [ANY, ...accounts.map(([id, name]) => ({ label: `${name} (${id})`, value: id }))];
  const nextCursor = page.data?.nextCursor ?? null;
  // Stable between keystrokes, so a render for a new filter leaves the rows shown until the answer comes.
  const columns = useMemo<TableProps.ColumnDefinition<ResourceRow>[]>(
    () => [
      {
        id: 'name',
        header: 'Name',
        cell: (row) => (
          <Link href={resourcePagePath(row)} onFollow={follow}>
            {row.name}
          </Link>
        ),
      },
      { id: 'type', header: 'Type', cell: (row) => ITEM_TYPE_LABELS[row.itemType] ?? row.itemType },
      { id: 'account', header: 'Account', cell: (row) => `${row.accountName} (${row.accountId})` },
      { id: 'region', header: 'Region', cell: (row) => row.region || 'global' },
      {
        id: 'tags',
        header: 'Tags',
        cell: (row) =>
          Object.entries(row.tags ?? {})
            .slice(0, 3)
            .map(([k, v]) => `${k}=${v}`)
            .join(', ') || '—',
      },
      {
        id: 'seen',
        header: 'Seen',
        cell: (row) => <span title={row.lastSeenAt}>{timeAgo(row.lastSeenAt)}</span>,
      },
    ],
    [follow],
  );

  return (
    <SpaceBetween size="m">
      <CrawlSummary rows={status.data} error={status.error} />
      {page.isError && (
        <ErrorAlert
          header="Could not search the resources"
          error={page.error}
          onRetry={() => void page.refetch()}
        />
      )}
      <Table<ResourceRow>
        variant="full-page"
        stickyHeader
        trackBy="arn"
        loading={page.isPending}
        loadingText="Searching the cache"
        items={page.data?.data ?? NO_ROWS}
        header={
          <Header
            variant="awsui-h1-sticky"
            description="Every IAM role, user, managed policy, bucket, queue and topic Rolecall has crawled, in every account."
          >
            Resources
          </Header>
        }
        filter={
          <SpaceBetween size="s" direction="horizontal">
            <FormField label="Name or ARN contains">
              <Input
                type="search"
                clearAriaLabel="Clear the name filter"
                value={filter.query}
                placeholder="payments"
                onChange={({ detail }) => setFilter('query', detail.value)}
              />
            </FormField>
            <FormField label="Type">
              <Select
                selectedOption={TYPE_OPTIONS.find((o) => o.value === filter.type) ?? ANY}
                options={TYPE_OPTIONS}
                onChange={({ detail }) => setFilter('type', detail.selectedOption.value ?? '')}
              />
            </FormField>
            <FormField label="Account">
              <Select
                selectedOption={accountOptions.find((o) => o.value === filter.account) ?? ANY}
                options={accountOptions}
                filteringType="auto"
                onChange={({ detail }) => setFilter('account', detail.selectedOption.value ?? '')}
              />
            </FormField>
            <FormField label="Tag" description="key or key=value">
              <Input
                value={filter.tag}
                placeholder="team=payments"
                onChange={({ detail }) => setFilter('tag', detail.value)}
              />
            </FormField>
          </SpaceBetween>
        }
        pagination={
          <Pagination
            currentPageIndex={pageIndex + 1}
            pagesCount={nextCursor ? pageIndex + 2 : pageIndex + 1}
            openEnd={nextCursor !== null}
            ariaLabels={{
              nextPageLabel: 'Next page',
              previousPageLabel: 'Previous page',
              pageLabel: (n) => `Page ${n}`,
            }}
            onChange={({ detail }) => {
              const target = detail.currentPageIndex - 1;
              if (target === pageIndex + 1 && nextCursor) {
                setCursors([...cursors.slice(0, target), nextCursor]);
                setPageIndex(target);
              } else if (target < pageIndex) {
                setPageIndex(target);
              }
            }}
          />
        }
        empty={
          <Box textAlign="center" padding="l">
            <b>No resource matches</b>
            <Box variant="p">
              Nothing in the cache has these filters. Loosen one, or check the crawl status above.
            </Box>
          </Box>
        }
        columnDefinitions={columns}
      />
    </SpaceBetween>
  );
}

function CrawlSummary({ rows, error }: { rows: CacheStatusRow[] | undefined; error: unknown }) {
  const follow = useFollow();
  const session = useSession();
  if (error) return <ErrorAlert header="Could not read the crawl status" error={error} />;
  if (!rows) return <StatusIndicator type="loading">Reading the crawl status</StatusIndicator>;
  const running = rows.filter((r) => r.running).length;
  const failed = rows.filter(
    (r) => r.lastError && (!r.lastSuccessAt || r.lastError.at > r.lastSuccessAt),
  ).length;
  const neverCrawled = rows.filter((r) => !r.lastSuccessAt).length;
  const oldest = rows
    .map((r) => r.lastSuccessAt)
    .filter((at): at is string => at !== undefined)
    .sort()[0];
  return (
    <SpaceBetween size="xs" direction="horizontal" alignItems="center">
      {running > 0 ? (
        <StatusIndicator type="in-progress">
          Crawling: {running} of {rows.length} account and type pairs
        </StatusIndicator>
      ) : (
        <StatusIndicator type={failed > 0 ? 'warning' : 'success'}>
          {rows.length - neverCrawled} of {rows.length} account and type pairs crawled; the oldest{' '}
          {timeAgo(oldest)}
        </StatusIndicator>
      )}
      {failed > 0 && <StatusIndicator type="error">{failed} failed their last crawl</StatusIndicator>}
      {session.data?.isAdmin && (
        <Button variant="inline-link" href="/admin/cache" onFollow={follow}>
          Crawl status and refresh
        </Button>
      )}
    </SpaceBetween>
  );
}
