import Header from '@cloudscape-design/components/header';
import Link from '@cloudscape-design/components/link';
import Table from '@cloudscape-design/components/table';
import { useQuery } from '@tanstack/react-query';
import { api } from '../../api/client';
import { ErrorAlert } from '../../components/ErrorAlert';
import { useFollow } from '../../app/Layout';

interface RequestRow {
  request_id: string;
  arn: string;
  status: string;
  username: string;
  request_time: number;
}

/** The policy requests you may see, newest first. */
export default function RequestsPage() {
  const follow = useFollow();
  const list = useQuery({
    queryKey: ['requests', 'list'],
    queryFn: () => api<{ data: RequestRow[] }>('/api/v2/requests', { method: 'POST', body: {} }),
    select: (data) => [...data.data].sort((a, b) => b.request_time - a.request_time),
  });
  if (list.isError)
    return (
      <ErrorAlert header="Could not load requests" error={list.error} onRetry={() => void list.refetch()} />
    );
  return (
    <Table
      variant="full-page"
      header={<Header variant="awsui-h1-sticky">Requests</Header>}
      loading={list.isPending}
      loadingText="Loading requests"
      items={list.data ?? []}
      trackBy="request_id"
      empty="No requests yet."
      columnDefinitions={[
        {
          id: 'id',
          header: 'Request',
          cell: (row) => (
            <Link href={`/requests/${row.request_id}`} onFollow={follow}>
              {row.request_id}
            </Link>
          ),
        },
        { id: 'arn', header: 'Principal', cell: (row) => row.arn },
        { id: 'status', header: 'Status', cell: (row) => row.status },
        { id: 'user', header: 'Requested by', cell: (row) => row.username },
        {
          id: 'time',
          header: 'Requested at',
          cell: (row) => new Date(row.request_time * 1000).toLocaleString(),
        },
      ]}
    />
  );
}
