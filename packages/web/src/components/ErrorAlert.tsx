import Alert from '@cloudscape-design/components/alert';
import Box from '@cloudscape-design/components/box';
import Button from '@cloudscape-design/components/button';
import { isApiError } from '../api/client';

/** An API failure as a person can act on it: what went wrong, its stable code, and a retry when useful. */
export function ErrorAlert({
  error,
  header = 'Something went wrong',
  onRetry,
}: {
  error: unknown;
  header?: string;
  onRetry?: () => void;
}) {
  const code = isApiError(error) ? error.code : 'UNEXPECTED';
  const message = error instanceof Error ? error.message : String(error);
  return (
    <Alert
      type="error"
      header={header}
      action={onRetry ? <Button onClick={onRetry}>Retry</Button> : undefined}
    >
      {message}{' '}
      <Box variant="code" display="inline">
        {code}
      </Box>
    </Alert>
  );
}
