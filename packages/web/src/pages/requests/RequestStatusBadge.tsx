import StatusIndicator, { type StatusIndicatorProps } from '@cloudscape-design/components/status-indicator';
import type { RequestStatus, StreamState } from './requests-api';

const STATUS: Record<RequestStatus, StatusIndicatorProps.Type> = {
  pending: 'pending',
  applying: 'in-progress',
  approved: 'success',
  failed: 'error',
  rejected: 'error',
  cancelled: 'stopped',
  expired: 'stopped',
};

export function RequestStatusBadge({ status }: { status: RequestStatus }) {
  return (
    <span data-testid="request-status">
      <StatusIndicator type={STATUS[status] ?? 'info'}>{status}</StatusIndicator>
    </span>
  );
}

/** Whether updates are arriving by themselves, or the page shows what it last read. */
export function LiveBadge({ state }: { state: StreamState }) {
  return (
    <span role="status" aria-live="polite" style={{ fontSize: 14, fontWeight: 400 }}>
      {state === 'live' ? (
        <StatusIndicator type="success">Live</StatusIndicator>
      ) : (
        <StatusIndicator type="loading">
          {state === 'connecting' ? 'Connecting' : 'Reconnecting'}
        </StatusIndicator>
      )}
    </span>
  );
}
