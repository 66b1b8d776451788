import { lazy, Suspense, useEffect, type ReactNode } from 'react';
import { Navigate, Route, Routes, useLocation, useParams } from 'react-router';
import { useSession } from '../api/session';
import { ErrorAlert } from '../components/ErrorAlert';
import { PageLoading } from '../components/PageLoading';
import { Layout } from './Layout';
import { loadResourcesPage, loadRolesPage } from './pages';

// Every page is its own chunk: the roles page never downloads the policy editor or the admin tools.
const SignInPage = lazy(() => import('../pages/SignInPage'));
const RolesPage = lazy(loadRolesPage);
const RoleLoginPage = lazy(() => import('../pages/RoleLoginPage'));
const ResourcesPage = lazy(loadResourcesPage);
const ResourcePage = lazy(() => import('../pages/ResourcePage'));
const ChallengePage = lazy(() => import('../pages/ChallengePage'));
const AdminPage = lazy(() => import('../pages/AdminPage'));
const SelfServicePage = lazy(() => import('../pages/selfservice/SelfServicePage'));
const RequestsPage = lazy(() => import('../pages/requests/RequestsPage'));
const RequestPage = lazy(() => import('../pages/requests/RequestPage'));
const NotFoundPage = lazy(() => import('../pages/NotFoundPage'));

export function App() {
  return (
    <Routes>
      <Route path="/signin" element={<Page title="Sign in" element={<SignInPage />} />} />
      <Route element={<Layout />}>
        <Route path="/" element={<SignedIn title="Roles" element={<RolesPage />} />} />
        <Route path="/role/*" element={<SignedIn title="Console sign-in" element={<RoleLoginPage />} />} />
        <Route path="/resources" element={<SignedIn title="Resources" element={<ResourcesPage />} />} />
        <Route path="/policies" element={<SignedIn title="Resources" element={<ResourcesPage />} />} />
        <Route
          path="/policies/edit/:accountId/:kind/*"
          element={<SignedIn title="Resource" element={<ResourcePage />} />}
        />
        <Route path="/policies/request/:id" element={<RequestRedirect />} />
        <Route
          path="/challenge_validator/:token"
          element={<SignedIn title="Approve Weep sign-in" element={<ChallengePage />} />}
        />
        <Route
          path="/selfservice"
          element={<SignedIn title="Request access" element={<SelfServicePage />} />}
        />
        <Route path="/requests" element={<SignedIn title="Requests" element={<RequestsPage />} />} />
        <Route path="/requests/:id" element={<SignedIn title="Request" element={<RequestPage />} />} />
        <Route path="/admin" element={<SignedIn title="Admin" element={<AdminPage />} />} />
        <Route path="/admin/:tab" element={<SignedIn title="Admin" element={<AdminPage />} />} />
        <Route path="/config" element={<Navigate to="/admin/config" replace />} />
        <Route path="*" element={<Page title="Not found" element={<NotFoundPage />} />} />
      </Route>
    </Routes>
  );
}

/** ConsoleMe's request links (`/policies/request/{id}`) still work. */
function RequestRedirect() {
  const { id = '' } = useParams();
  return <Navigate to={`/requests/${encodeURIComponent(id)}`} replace />;
}

function Page({ title, element }: { title: string; element: ReactNode }) {
  useEffect(() => {
    document.title = `${title} · Rolecall`;
  }, [title]);
  return <Suspense fallback={<PageLoading />}>{element}</Suspense>;
}

/**
 * A page for signed-in people. Signed out, the demo sends you to its user picker (and back here after);
 * behind a proxy the sign-in page explains what to do. Never a blank page.
 */
function SignedIn({ title, element }: { title: string; element: ReactNode }) {
  const session = useSession();
  const location = useLocation();
  if (session.isPending) return <PageLoading label="Checking who you are" />;
  if (session.isError) {
    return (
      <ErrorAlert
        header="Could not check who you are"
        error={session.error}
        onRetry={() => void session.refetch()}
      />
    );
  }
  if (!session.data.signedIn) {
    const next = `${location.pathname}${location.search}`;
    return <Navigate to={`/signin?next=${encodeURIComponent(next)}`} replace />;
  }
  return <Page title={title} element={element} />;
}
