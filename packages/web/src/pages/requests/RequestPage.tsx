import Box from '@cloudscape-design/components/box';
import Container from '@cloudscape-design/components/container';
import Header from '@cloudscape-design/components/header';
import SpaceBetween from '@cloudscape-design/components/space-between';
import { useQuery } from '@tanstack/react-query';
import { useParams } from 'react-router';
import { api } from '../../api/client';
import { ErrorAlert } from '../../components/ErrorAlert';
import { PageLoading } from '../../components/PageLoading';

interface RequestReply {
  request: string;
  request_config: { can_approve_reject: boolean; can_update_cancel: boolean };
}

/** One policy request: its status, justification and the changes it asks for. */
export default function RequestPage() {
  const { id = '' } = useParams();
  const detail = useQuery({
    queryKey: ['requests', id],
    queryFn: () => api<RequestReply>(`/api/v2/requests/${encodeURIComponent(id)}`),
    select: (data) => ({
      ...data,
      parsed: JSON.parse(data.request) as {
        request_status?: string;
        justification?: string;
        changes?: unknown;
      },
    }),
  });
  if (detail.isError) return <ErrorAlert header={`Could not load request ${id}`} error={detail.error} />;
  if (detail.isPending) return <PageLoading label="Loading the request" />;
  const request = detail.data.parsed;
  return (
    <SpaceBetween size="m">
      <Header variant="h1">Request {id}</Header>
      <Container header={<Header variant="h2">Status: {request.request_status ?? ''}</Header>}>
        <Box variant="p">{request.justification ?? ''}</Box>
        <pre style={{ whiteSpace: 'pre-wrap', wordBreak: 'break-all' }}>
          {JSON.stringify(request.changes, null, 2)}
        </pre>
      </Container>
    </SpaceBetween>
  );
}
