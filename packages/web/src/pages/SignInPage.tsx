import Alert from '@cloudscape-design/components/alert';
import Box from '@cloudscape-design/components/box';
import Button from '@cloudscape-design/components/button';
import Cards from '@cloudscape-design/components/cards';
import Container from '@cloudscape-design/components/container';
import ContentLayout from '@cloudscape-design/components/content-layout';
import Header from '@cloudscape-design/components/header';
import SpaceBetween from '@cloudscape-design/components/space-between';
import { useNavigate, useSearchParams } from 'react-router';
import { useDemoSignIn, useSession } from '../api/session';
import { ErrorAlert } from '../components/ErrorAlert';
import { PageLoading } from '../components/PageLoading';
import { safeNext } from '../lib/safe-next';

export default function SignInPage() {
  const session = useSession();
  const signIn = useDemoSignIn();
  const navigate = useNavigate();
  const [params] = useSearchParams();
  const next = safeNext(params.get('next'));

  if (session.isPending) return <PageLoading label="Checking who you are" />;
  if (session.isError) {
    return (
      <Shell>
        <ErrorAlert
          header="Could not check who you are"
          error={session.error}
          onRetry={() => void session.refetch()}
        />
      </Shell>
    );
  }
  const data = session.data;
  return (
    <Shell>
      <SpaceBetween size="l">
        {data.signedIn && (
          <Alert
            type="success"
            header={`Signed in as ${data.user ?? ''}`}
            action={<Button onClick={() => void navigate(next)}>Continue</Button>}
          >
            {data.signIn === 'demo'
              ? 'Pick another demo user below to switch.'
              : 'Your sign-in comes from your company.'}
          </Alert>
        )}
        {signIn.isError && <ErrorAlert header="Sign-in failed" error={signIn.error} />}
        {data.signIn === 'demo' ? (
          <Cards
            ariaLabels={{ itemSelectionLabel: (_e, u) => u.email, selectionGroupLabel: 'Demo users' }}
            header={
              <Header
                variant="h2"
                description="This is the demo: pick who you want to be. Each sees what their groups allow."
              >
                Demo users
              </Header>
            }
            cardDefinition={{
              header: (user) => user.email,
              sections: [
                { id: 'description', content: (user) => user.description ?? '' },
                { id: 'groups', header: 'Groups', content: (user) => user.groups.join(', ') || 'none' },
                {
                  id: 'action',
                  content: (user) => (
                    <Button
                      variant="primary"
                      ariaLabel={`Sign in as ${user.email}`}
                      loading={signIn.isPending && signIn.variables === user.email}
                      onClick={() =>
                        signIn.mutate(user.email, { onSuccess: () => void navigate(next, { replace: true }) })
                      }
                    >
                      Sign in
                    </Button>
                  ),
                },
              ],
            }}
            cardsPerRow={[{ cards: 1 }, { minWidth: 600, cards: 2 }]}
            items={data.demoUsers}
            trackBy="email"
          />
        ) : data.signIn === 'oidc' ? (
          !data.signedIn && (
            <Container header={<Header variant="h2">Sign in through your company</Header>}>
              <Button
                variant="primary"
                href={`/auth/oidc/login?returnTo=${encodeURIComponent(next)}`}
              >{`Sign in with ${data.providerName ?? 'OpenID Connect'}`}</Button>
            </Container>
          )
        ) : (
          !data.signedIn && (
            <Container header={<Header variant="h2">Sign in through your company</Header>}>
              <SpaceBetween size="s">
                <Box>
                  Rolecall learns who you are from the sign-in proxy in front of it (for example your single
                  sign-on). This request arrived without an identity, so the proxy did not sign you in.
                </Box>
                <Box>
                  Open Rolecall at its usual address, or ask your Rolecall administrators if this keeps
                  happening.
                </Box>
                <Button onClick={() => window.location.assign(next)}>Try again</Button>
              </SpaceBetween>
            </Container>
          )
        )}
      </SpaceBetween>
    </Shell>
  );
}

function Shell({ children }: { children: React.ReactNode }) {
  return (
    <main style={{ maxWidth: 960, margin: '0 auto', padding: '24px 16px' }}>
      <ContentLayout
        header={
          <Header variant="h1" description="AWS console and CLI access, and the permissions behind it">
            Sign in to Rolecall
          </Header>
        }
      >
        {children}
      </ContentLayout>
    </main>
  );
}
