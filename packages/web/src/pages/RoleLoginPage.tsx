import Box from '@cloudscape-design/components/box';
import Button from '@cloudscape-design/components/button';
import SpaceBetween from '@cloudscape-design/components/space-between';
import { useQuery } from '@tanstack/react-query';
import { useEffect } from 'react';
import { Navigate, useLocation, useParams, useSearchParams } from 'react-router';
import { api } from '../api/client';
import { ErrorAlert } from '../components/ErrorAlert';
import { PageLoading } from '../components/PageLoading';
import { useFollow } from '../app/Layout';
import { rememberRecent } from '../lib/storage';

interface RoleLoginReply {
  type: 'redirect';
  reason: 'console_login' | 'multiple_roles';
  redirect_url: string;
  role?: string;
}

/**
 * `/role/{query}?r=&redirect=`, as in ConsoleMe: resolves the query to one of your roles and goes
 * straight to the AWS console; several matches go back to the role list, filtered, with a warning.
 */
export default function RoleLoginPage() {
  const query = useParams()['*'] ?? '';
  const [params] = useSearchParams();
  const location = useLocation();
  const follow = useFollow();
  const login = useQuery({
    queryKey: ['role-login', query, location.search],
    queryFn: () =>
      api<RoleLoginReply>(`/api/v2/role_login/${query}`, {
        query: { r: params.get('r') ?? undefined, redirect: params.get('redirect') ?? undefined },
      }),
    // A sign-in URL is for one use, right now.
    staleTime: 0,
    gcTime: 0,
    retry: false,
  });

  const target = login.data?.reason === 'console_login' ? login.data.redirect_url : undefined;
  useEffect(() => {
    if (!target) return;
    if (login.data?.role) rememberRecent(login.data.role);
    window.location.replace(target);
  }, [target, login.data?.role]);

  if (login.isError) {
    return (
      <SpaceBetween size="m">
        <ErrorAlert header={`Could not open the console for “${query}”`} error={login.error} />
        <SpaceBetween size="xs" direction="horizontal">
          <Button href="/" onFollow={follow}>
            Your roles
          </Button>
          <Button variant="primary" href="/selfservice" onFollow={follow}>
            Request access
          </Button>
        </SpaceBetween>
      </SpaceBetween>
    );
  }
  if (login.data?.reason === 'multiple_roles') return <Navigate to={login.data.redirect_url} replace />;
  if (target) {
    return (
      <div role="status">
        <Box padding="l">
          Opening the AWS console as <b>{login.data?.role}</b>… If nothing happens,{' '}
          <a href={target}>continue to the console</a>.
        </Box>
      </div>
    );
  }
  return <PageLoading label={`Signing you in to the console as ${query}`} />;
}
