import Alert from '@cloudscape-design/components/alert';
import Box from '@cloudscape-design/components/box';
import Button from '@cloudscape-design/components/button';
import ColumnLayout from '@cloudscape-design/components/column-layout';
import Container from '@cloudscape-design/components/container';
import Header from '@cloudscape-design/components/header';
import SpaceBetween from '@cloudscape-design/components/space-between';
import { useMutation, useQuery } from '@tanstack/react-query';
import { useParams } from 'react-router';
import { api } from '../api/client';
import { useSession } from '../api/session';
import { ErrorAlert } from '../components/ErrorAlert';
import { PageLoading } from '../components/PageLoading';

interface ChallengeView {
  message: string;
  nonce: string;
  show_approve_button: boolean;
  user: string;
  ip: string;
  created_at: string;
}

/**
 * `/challenge_validator/{token}`: Weep opened this page to sign in as you. Who is asking, from where and
 * when, then Approve, through the same API ConsoleMe's page used (`/api/v2/challenge_validator/{token}`).
 */
export default function ChallengePage() {
  const { token = '' } = useParams();
  const session = useSession();
  const path = `/api/v2/challenge_validator/${encodeURIComponent(token)}`;
  const challenge = useQuery({
    queryKey: ['challenge', token],
    queryFn: () => api<ChallengeView>(path),
    retry: false,
    staleTime: Infinity,
  });
  const approve = useMutation({
    mutationFn: (nonce: string) =>
      api<{ status: 'success'; message: string }>(path, { method: 'POST', body: { nonce } }),
  });

  if (challenge.isPending) return <PageLoading label="Reading the sign-in request" />;
  if (challenge.isError) {
    return (
      <SpaceBetween size="m">
        <Header variant="h1">Approve Weep sign-in</Header>
        <ErrorAlert header="This sign-in request cannot be approved" error={challenge.error} />
      </SpaceBetween>
    );
  }
  const view = challenge.data;
  return (
    <SpaceBetween size="m">
      <Header variant="h1" description="Approve only if you just ran weep yourself.">
        Approve Weep sign-in
      </Header>
      <Container header={<Header variant="h2">A Weep command line wants to sign in as you</Header>}>
        <SpaceBetween size="l">
          <ColumnLayout columns={2} variant="text-grid">
            <Field label="Signing in as" value={view.user} />
            <Field label="From address" value={view.ip} />
            <Field label="Asked at" value={new Date(view.created_at).toLocaleString()} />
            <Field label="You are signed in here as" value={session.data?.user ?? ''} />
          </ColumnLayout>
          {approve.isSuccess ? (
            <Alert type="success" header="Approved">
              {approve.data.message}
            </Alert>
          ) : (
            <SpaceBetween size="s">
              {approve.isError && <ErrorAlert header="Approval failed" error={approve.error} />}
              {view.show_approve_button && (
                <Button
                  variant="primary"
                  loading={approve.isPending}
                  onClick={() => approve.mutate(view.nonce)}
                >
                  Approve
                </Button>
              )}
              <Box color="text-body-secondary">
                If you did not run weep just now, close this page: nothing is signed in until you approve.
              </Box>
            </SpaceBetween>
          )}
        </SpaceBetween>
      </Container>
    </SpaceBetween>
  );
}

function Field({ label, value }: { label: string; value: string }) {
  return (
    <div>
      <Box variant="awsui-key-label">{label}</Box>
      <div>{value}</div>
    </div>
  );
}
