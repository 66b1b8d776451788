import Box from '@cloudscape-design/components/box';
import Button from '@cloudscape-design/components/button';
import FormField from '@cloudscape-design/components/form-field';
import Header from '@cloudscape-design/components/header';
import Input from '@cloudscape-design/components/input';
import SpaceBetween from '@cloudscape-design/components/space-between';
import Table from '@cloudscape-design/components/table';
import { useInfiniteQuery } from '@tanstack/react-query';
import { useState } from 'react';
import { api } from '../../api/client';
import type { AuditEvent } from '../../api/types';
import { ErrorAlert } from '../../components/ErrorAlert';

interface AuditPage {
  items: AuditEvent[];
  nextCursor: string | null;
}

/** Every credential issuance and refusal, newest first, filtered by user and role, a cursor page at a time. */
export function AuditLog() {
  const [user, setUser] = useState('');
  const [role, setRole] = useState('');
  const [applied, setApplied] = useState({ user: '', role: '' });
  const log = useInfiniteQuery({
    queryKey: ['audit', applied],
    initialPageParam: undefined as string | undefined,
    queryFn: ({ pageParam, signal }) =>
      api<AuditPage>('/api/v3/audit/credentials', {
        signal,
        query: {
          user: applied.user || undefined,
          role: applied.role || undefined,
          cursor: pageParam,
          limit: 50,
        },
      }),
    getNextPageParam: (last) => last.nextCursor ?? undefined,
  });
  const items = log.data?.pages.flatMap((p) => p.items) ?? [];
  return (
    <SpaceBetween size="m">
      {log.isError && (
        <ErrorAlert
          header="Could not read the audit log"
          error={log.error}
          onRetry={() => void log.refetch()}
        />
      )}
      <Table<AuditEvent>
        header={<Header variant="h2">Credential audit log</Header>}
        filter={
          <form
            onSubmit={(event) => {
              event.preventDefault();
              setApplied({ user: user.trim(), role: role.trim() });
            }}
          >
            <SpaceBetween size="s" direction="horizontal" alignItems="end">
              <FormField label="User">
                <Input
                  value={user}
                  onChange={({ detail }) => setUser(detail.value)}
                  placeholder="alice@example.com"
                />
              </FormField>
              <FormField label="Role ARN">
                <Input
                  value={role}
                  onChange={({ detail }) => setRole(detail.value)}
                  placeholder="arn:aws:iam::…:role/…"
                />
              </FormField>
              <Button formAction="submit">Filter</Button>
            </SpaceBetween>
          </form>
        }
        loading={log.isPending}
        loadingText="Reading the audit log"
        items={items}
        trackBy="id"
        empty="No credential was issued or refused with these filters."
        columnDefinitions={[
          { id: 'at', header: 'When', cell: (e) => new Date(e.at).toLocaleString() },
          { id: 'user', header: 'User', cell: (e) => e.user },
          { id: 'role', header: 'Role', cell: (e) => e.requestedRole },
          { id: 'channel', header: 'Channel', cell: (e) => e.channel },
          { id: 'outcome', header: 'Outcome', cell: (e) => e.outcome },
        ]}
        footer={
          <Box textAlign="center">
            {log.hasNextPage ? (
              <Button loading={log.isFetchingNextPage} onClick={() => void log.fetchNextPage()}>
                Load older entries
              </Button>
            ) : (
              items.length > 0 && 'That is the oldest entry.'
            )}
          </Box>
        }
      />
    </SpaceBetween>
  );
}
