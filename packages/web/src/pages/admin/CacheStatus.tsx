import Alert from '@cloudscape-design/components/alert';
import Button from '@cloudscape-design/components/button';
import Header from '@cloudscape-design/components/header';
import ProgressBar from '@cloudscape-design/components/progress-bar';
import SpaceBetween from '@cloudscape-design/components/space-between';
import StatusIndicator from '@cloudscape-design/components/status-indicator';
import Table from '@cloudscape-design/components/table';
import { useMutation, useQueryClient } from '@tanstack/react-query';
import { useState } from 'react';
import { api } from '../../api/client';
import { useCacheStatus } from '../../api/resources';
import type { CacheStatusRow } from '../../api/types';
import { ErrorAlert } from '../../components/ErrorAlert';
import { timeAgo } from '../../lib/time';

const key = (row: CacheStatusRow) => `${row.accountId}/${row.crawlType}`;

/** Freshness per account and crawl type, refreshed on demand, with the crawl's progress polled live. */
export function CacheStatus() {
  const client = useQueryClient();
  const status = useCacheStatus();
  const [selected, setSelected] = useState<CacheStatusRow[]>([]);
  const refresh = useMutation({
    mutationFn: (rows: CacheStatusRow[]) =>
      api<{ crawlId: string; jobs: unknown[] }>('/api/v3/cache/refresh', {
        method: 'POST',
        body:
          rows.length === 0
            ? {}
            : {
                accountIds: [...new Set(rows.map((r) => r.accountId))],
                resourceTypes: [...new Set(rows.map((r) => r.crawlType))],
              },
      }),
    onSuccess: () => void client.invalidateQueries({ queryKey: ['cache', 'status'] }),
  });
  const rows = status.data ?? [];
  const running = rows.filter((r) => r.running).length;

  return (
    <SpaceBetween size="m">
      {status.isError && <ErrorAlert header="Could not read the cache status" error={status.error} />}
      {refresh.isError && <ErrorAlert header="The crawl was not started" error={refresh.error} />}
      {refresh.isSuccess && (
        <Alert type="info">
          Crawl {refresh.data.crawlId} queued {refresh.data.jobs.length} job
          {refresh.data.jobs.length === 1 ? '' : 's'}.
        </Alert>
      )}
      {running > 0 && (
        <ProgressBar
          label="Crawl in progress"
          value={Math.round(((rows.length - running) / Math.max(rows.length, 1)) * 100)}
          additionalInfo={`${running} of ${rows.length} account and type pairs still crawling`}
        />
      )}
      <Table<CacheStatusRow>
        header={
          <Header
            variant="h2"
            counter={`(${rows.length})`}
            description="Select rows to refresh only those; with none selected, Refresh crawls everything."
            actions={
              <Button variant="primary" loading={refresh.isPending} onClick={() => refresh.mutate(selected)}>
                {selected.length === 0 ? 'Refresh everything' : `Refresh ${selected.length} selected`}
              </Button>
            }
          >
            Cache status
          </Header>
        }
        loading={status.isPending}
        loadingText="Reading the cache status"
        items={rows}
        trackBy={key}
        selectionType="multi"
        selectedItems={selected}
        onSelectionChange={({ detail }) => setSelected(detail.selectedItems)}
        ariaLabels={{
          selectionGroupLabel: 'Rows to refresh',
          allItemsSelectionLabel: () => 'Select every row',
          itemSelectionLabel: (_s, row) => `${row.accountName} ${row.crawlType}`,
        }}
        empty="No account is known yet: account discovery has not run."
        columnDefinitions={[
          { id: 'account', header: 'Account', cell: (r) => `${r.accountName} (${r.accountId})` },
          { id: 'type', header: 'Type', cell: (r) => r.crawlType },
          { id: 'items', header: 'Items', cell: (r) => r.itemCount },
          {
            id: 'state',
            header: 'State',
            cell: (r) =>
              r.running ? (
                <StatusIndicator type="in-progress">crawling since {timeAgo(r.runningSince)}</StatusIndicator>
              ) : r.lastError && (!r.lastSuccessAt || r.lastError.at > r.lastSuccessAt) ? (
                <StatusIndicator type="error">
                  {r.lastError.code}: {r.lastError.message}
                </StatusIndicator>
              ) : r.lastSuccessAt ? (
                <StatusIndicator type="success">crawled {timeAgo(r.lastSuccessAt)}</StatusIndicator>
              ) : (
                <StatusIndicator type="pending">never crawled</StatusIndicator>
              ),
          },
        ]}
      />
    </SpaceBetween>
  );
}
