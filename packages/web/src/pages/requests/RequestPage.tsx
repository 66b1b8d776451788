import Alert from '@cloudscape-design/components/alert';
import Box from '@cloudscape-design/components/box';
import Button from '@cloudscape-design/components/button';
import ColumnLayout from '@cloudscape-design/components/column-layout';
import Container from '@cloudscape-design/components/container';
import FormField from '@cloudscape-design/components/form-field';
import Header from '@cloudscape-design/components/header';
import SpaceBetween from '@cloudscape-design/components/space-between';
import Table from '@cloudscape-design/components/table';
import Textarea from '@cloudscape-design/components/textarea';
import { useState } from 'react';
import { useParams } from 'react-router';
import { useSession } from '../../api/session';
import { ErrorAlert } from '../../components/ErrorAlert';
import { PageLoading } from '../../components/PageLoading';
import { ChangeReview } from './ChangeReview';
import { LiveBadge, RequestStatusBadge } from './RequestStatusBadge';
import {
  requestKeys,
  useLiveInvalidation,
  useModifyRequest,
  useRequestDetail,
  useRequestHistory,
  type Change,
  type Command,
  type RequestDetail,
} from './requests-api';

const OPEN_CHANGE = new Set(['not_applied', 'failed']);

/**
 * One policy request, for the requester and the reviewers: each change's diff, what it newly grants and
 * what the policy check found; who still needs to approve; comments; the decisions the caller may take
 * (request_config says which); the history. Updates arrive live.
 */
export default function RequestPage() {
  const { id = '' } = useParams();
  const detail = useRequestDetail(id);
  const history = useRequestHistory(id);
  const live = useLiveInvalidation(`/api/v3/requests/${encodeURIComponent(id)}/stream`, [
    requestKeys.detail(id),
    requestKeys.history(id),
  ]);
  if (detail.isError) {
    return (
      <ErrorAlert
        header={`Could not load request ${id}`}
        error={detail.error}
        onRetry={() => void detail.refetch()}
      />
    );
  }
  if (detail.isPending) return <PageLoading label="Loading the request" />;
  return <RequestView id={id} detail={detail.data} history={history} live={live} />;
}

function RequestView({
  id,
  detail,
  history,
  live,
}: {
  id: string;
  detail: RequestDetail;
  history: ReturnType<typeof useRequestHistory>;
  live: ReturnType<typeof useLiveInvalidation>;
}) {
  const session = useSession();
  const modify = useModifyRequest(id);
  const { request, config, approval } = detail;
  const status = request.request_status;
  const isRequester = session.data?.user?.toLowerCase() === request.requester_email.toLowerCase();
  const run = (command: Command) => modify.mutate({ command, version: request.version });
  const busy = modify.isPending;

  const decisions = (
    <SpaceBetween size="xs" direction="horizontal">
      {status === 'pending' && isRequester && (
        <Button onClick={() => run({ command: 'cancel_request' })} disabled={busy}>
          Cancel request
        </Button>
      )}
      {status === 'pending' && config.can_approve_reject && (
        <Button onClick={() => run({ command: 'reject_request' })} disabled={busy}>
          Reject
        </Button>
      )}
      {config.can_move_back_to_pending && (status === 'rejected' || status === 'cancelled') && (
        <Button onClick={() => run({ command: 'move_back_to_pending' })} disabled={busy}>
          Move back to pending
        </Button>
      )}
      {status === 'pending' && config.can_approve_reject && (
        <Button variant="primary" onClick={() => run({ command: 'approve_request' })} loading={busy}>
          Approve
        </Button>
      )}
    </SpaceBetween>
  );

  const changeActions = (change: Change) => {
    if (!change.id || !OPEN_CHANGE.has(change.status ?? 'not_applied')) return undefined;
    const changeId = change.id;
    const canApply =
      (status === 'approved' || status === 'failed') &&
      (config.can_approve_reject || !!session.data?.isAdmin);
    const canCancel = (status === 'pending' || status === 'failed') && config.can_update_cancel;
    if (!canApply && !canCancel) return undefined;
    return (
      <SpaceBetween size="xs" direction="horizontal">
        {canCancel && (
          <Button onClick={() => run({ command: 'cancel_change', change_id: changeId })} disabled={busy}>
            Cancel change
          </Button>
        )}
        {canApply && (
          <Button onClick={() => run({ command: 'apply_change', change_id: changeId })} disabled={busy}>
            Apply now
          </Button>
        )}
      </SpaceBetween>
    );
  };

  return (
    <SpaceBetween size="l">
      <Header
        variant="h1"
        actions={decisions}
        description={
          <span style={{ wordBreak: 'break-all' }}>
            For {request.principal.principal_arn}, asked by {request.requester_email} on{' '}
            {new Date(request.timestamp).toLocaleString()}
          </span>
        }
      >
        <SpaceBetween size="xs" direction="horizontal" alignItems="center">
          <span>Request</span>
          <RequestStatusBadge status={status} />
          <LiveBadge state={live} />
        </SpaceBetween>
      </Header>
      {modify.isError && <ErrorAlert header="That did not go through" error={modify.error} />}
      {modify.isSuccess && modify.data.errors === 0 && (
        <Alert type="success" dismissible={false}>
          {modify.data.action_results.map((r) => r.message).join(' ')}
        </Alert>
      )}
      <Container header={<Header variant="h2">Review</Header>}>
        <ColumnLayout columns={2} variant="text-grid">
          <div>
            <Box variant="awsui-key-label">Justification</Box>
            <Box>{request.justification || '—'}</Box>
          </div>
          <div>
            <Box variant="awsui-key-label">Approval</Box>
            <Box data-testid="approval-summary">{approval.summary}</Box>
            {approval.requirements.length > 0 && (
              <ul style={{ margin: '4px 0 0', paddingLeft: 18 }}>
                {approval.requirements.map((r) => (
                  <li key={`${r.kind}-${r.rule}`}>
                    {r.remaining > 0
                      ? `${r.remaining} more from ${r.approvers.join(', ') || 'an admin'}`
                      : `done (${r.approved_by.join(', ')})`}{' '}
                    <Box variant="small" color="text-body-secondary">
                      {r.reason}
                    </Box>
                  </li>
                ))}
              </ul>
            )}
          </div>
        </ColumnLayout>
        {!config.can_approve_reject && status === 'pending' && (
          <Box color="text-body-secondary" margin={{ top: 's' }}>
            You cannot approve this request{isRequester ? ': it is yours' : ''}.
          </Box>
        )}
      </Container>
      <SpaceBetween size="m">
        <Header variant="h2" counter={`(${request.changes.changes.length})`}>
          Changes
        </Header>
        {request.changes.changes.map((change, index) => (
          <ChangeReview
            key={change.id ?? index}
            change={change}
            index={index}
            actions={changeActions(change)}
          />
        ))}
      </SpaceBetween>
      <Comments
        comments={request.comments}
        busy={busy}
        onAdd={(text) => run({ command: 'add_comment', comment_text: text })}
      />
      <Table
        header={<Header variant="h2">History</Header>}
        loading={history.isPending}
        loadingText="Loading the history"
        items={history.data ?? []}
        empty={history.isError ? <ErrorAlert error={history.error} /> : 'Nothing yet.'}
        wrapLines
        columnDefinitions={[
          { id: 'at', header: 'When', cell: (item) => new Date(item.at).toLocaleString() },
          { id: 'type', header: 'What', cell: (item) => item.type.replaceAll('_', ' ') },
          { id: 'actor', header: 'Who', cell: (item) => item.actor },
          { id: 'message', header: 'Details', cell: (item) => item.message ?? '' },
        ]}
      />
    </SpaceBetween>
  );
}

function Comments({
  comments,
  busy,
  onAdd,
}: {
  comments: RequestDetail['request']['comments'];
  busy: boolean;
  onAdd: (text: string) => void;
}) {
  const [text, setText] = useState('');
  return (
    <Container
      header={
        <Header variant="h2" counter={`(${comments.length})`}>
          Comments
        </Header>
      }
    >
      <SpaceBetween size="m">
        {comments.length === 0 && <Box color="text-body-secondary">No comments yet.</Box>}
        {comments.map((comment) => (
          <div key={comment.id}>
            <Box variant="small" color="text-body-secondary">
              {comment.user_email} · {new Date(comment.timestamp).toLocaleString()}
            </Box>
            <Box>{comment.text}</Box>
          </div>
        ))}
        <form
          onSubmit={(event) => {
            event.preventDefault();
            if (text.trim() === '') return;
            onAdd(text.trim());
            setText('');
          }}
        >
          <SpaceBetween size="xs">
            <FormField label="Add a comment">
              <Textarea value={text} onChange={({ detail }) => setText(detail.value)} rows={2} />
            </FormField>
            <Button formAction="submit" disabled={busy || text.trim() === ''}>
              Comment
            </Button>
          </SpaceBetween>
        </form>
      </SpaceBetween>
    </Container>
  );
}
