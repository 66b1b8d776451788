import Box from '@cloudscape-design/components/box';
import Button from '@cloudscape-design/components/button';
import FormField from '@cloudscape-design/components/form-field';
import Header from '@cloudscape-design/components/header';
import Input from '@cloudscape-design/components/input';
import Link from '@cloudscape-design/components/link';
import Pagination from '@cloudscape-design/components/pagination';
import Select from '@cloudscape-design/components/select';
import SpaceBetween from '@cloudscape-design/components/space-between';
import Table from '@cloudscape-design/components/table';
import { useEffect, useMemo, useState } from 'react';
import { useSearchParams } from 'react-router';
import { useFollow } from '../../app/Layout';
import { ErrorAlert } from '../../components/ErrorAlert';
import { LiveBadge, RequestStatusBadge } from './RequestStatusBadge';
import { useSettled } from './use-settled';
import { requestKeys, useLiveInvalidation, useRequestList, type RequestFilters } from './requests-api';

const PAGE_SIZE = 25;
/** The server filters; this many newest matches come back, paged here. */
const LIMIT = 1000;
const STATUS_OPTIONS = [
  { label: 'Any status', value: '' },
  ...['pending', 'applying', 'approved', 'failed', 'rejected', 'cancelled', 'expired'].map((s) => ({
    label: s,
    value: s,
  })),
];

/**
 * Every policy request, newest first, filtered by the server (status, principal, requester, justification),
 * kept current live: a request made or decided anywhere shows here without a reload.
 */
export default function RequestsPage() {
  const follow = useFollow();
  const [params, setParams] = useSearchParams();
  const [principal, setPrincipal] = useState(params.get('arn') ?? '');
  const [requester, setRequester] = useState(params.get('username') ?? '');
  const [justification, setJustification] = useState(params.get('justification') ?? '');
  const status = params.get('status') ?? '';
  const [page, setPage] = useState(1);
  // Debounced as text: a new object each render would restart the timer for ever.
  const typed = JSON.stringify({ status, arn: principal, username: requester, justification });
  const settled = useSettled(typed, 300);
  const filters = useMemo(() => JSON.parse(settled) as RequestFilters, [settled]);
  const list = useRequestList(filters, LIMIT);
  const live = useLiveInvalidation('/api/v3/requests/stream', [requestKeys.all]);

  useEffect(() => setPage(1), [filters.status, filters.arn, filters.username, filters.justification]);
  useEffect(() => {
    const next = new URLSearchParams();
    for (const [key, value] of Object.entries(filters)) if (value) next.set(key, value);
    setParams(next, { replace: true });
  }, [filters, setParams]);

  const textFilters = [
    { label: 'Principal', placeholder: 'role name or ARN', value: principal, set: setPrincipal },
    { label: 'Requested by', placeholder: 'email', value: requester, set: setRequester },
    { label: 'Justification', placeholder: 'words', value: justification, set: setJustification },
  ];
  const rows = list.data?.data ?? [];
  const pages = Math.max(1, Math.ceil(rows.length / PAGE_SIZE));
  const shown = rows.slice((page - 1) * PAGE_SIZE, page * PAGE_SIZE);
  const filtered = Object.values(filters).some((v) => v);

  return (
    <Table
      variant="full-page"
      header={
        <Header
          variant="awsui-h1-sticky"
          counter={list.data ? `(${rows.length}${rows.length >= LIMIT ? '+' : ''})` : undefined}
          description="Requests for permissions: open one to review its changes, comment, approve or apply."
          actions={
            <SpaceBetween size="xs" direction="horizontal" alignItems="center">
              <LiveBadge state={live} />
              <Button variant="primary" href="/selfservice" onFollow={follow}>
                Request access
              </Button>
            </SpaceBetween>
          }
        >
          Requests
        </Header>
      }
      filter={
        <SpaceBetween size="s" direction="horizontal">
          <FormField label="Status">
            <Select
              selectedOption={STATUS_OPTIONS.find((o) => o.value === status) ?? STATUS_OPTIONS[0]!}
              options={STATUS_OPTIONS}
              onChange={({ detail }) => {
                const next = new URLSearchParams(params);
                if (detail.selectedOption.value) next.set('status', detail.selectedOption.value);
                else next.delete('status');
                setParams(next, { replace: true });
              }}
            />
          </FormField>
          {textFilters.map((filter) => (
            <FormField key={filter.label} label={filter.label}>
              <Input
                type="search"
                value={filter.value}
                placeholder={filter.placeholder}
                onChange={({ detail }) => filter.set(detail.value)}
              />
            </FormField>
          ))}
        </SpaceBetween>
      }
      pagination={
        <Pagination
          currentPageIndex={page}
          pagesCount={pages}
          onChange={({ detail }) => setPage(detail.currentPageIndex)}
          ariaLabels={{
            nextPageLabel: 'Next page',
            previousPageLabel: 'Previous page',
            pageLabel: (n) => `Page ${n}`,
          }}
        />
      }
      loading={list.isPending}
      loadingText="Loading requests"
      items={shown}
      trackBy="request_id"
      wrapLines
      empty={
        list.isError ? (
          <ErrorAlert
            header="Could not load requests"
            error={list.error}
            onRetry={() => void list.refetch()}
          />
        ) : (
          <Box textAlign="center" padding="l">
            <SpaceBetween size="s">
              <b>{filtered ? 'No request matches these filters' : 'No requests yet'}</b>
              <Box variant="p">
                {filtered
                  ? 'Clear a filter to see more.'
                  : 'Ask for the permissions you need; an administrator reviews every request.'}
              </Box>
              <Button href="/selfservice" onFollow={follow}>
                Request access
              </Button>
            </SpaceBetween>
          </Box>
        )
      }
      columnDefinitions={[
        {
          id: 'principal',
          header: 'Principal',
          cell: (row) => (
            <Link
              href={`/requests/${encodeURIComponent(row.request_id)}`}
              onFollow={follow}
              ariaLabel={`Request ${row.request_id} for ${row.arn}`}
            >
              <span style={{ wordBreak: 'break-all' }}>{row.arn}</span>
            </Link>
          ),
        },
        { id: 'status', header: 'Status', cell: (row) => <RequestStatusBadge status={row.status} /> },
        { id: 'user', header: 'Requested by', cell: (row) => row.username },
        { id: 'justification', header: 'Justification', cell: (row) => row.justification ?? '' },
        {
          id: 'time',
          header: 'Requested',
          cell: (row) => new Date(row.request_time * 1000).toLocaleString(),
        },
      ]}
    />
  );
}
