import type { QueryClient } from '@tanstack/react-query';
import { eligibleRolesQuery } from '../api/roles';
import { sessionQuery } from '../api/session';
import { loadResourcesPage, loadRolesPage } from './pages';

/**
 * Starts, the moment the app's script runs, what the first page will need, all at once: who is signed
 * in, the page's own chunk and, for the roles page, the role list. Otherwise they come one after the
 * other (the session answers, then the router renders the page and asks for its chunk, then the page
 * mounts and asks for its data), each waiting out the one before. A signed-out visitor's early role
 * list fetch answers 401, which is dropped at sign-in with every other cached answer.
 */
export function preloadFirstPage(pathname: string, client: QueryClient): void {
  void client.prefetchQuery(sessionQuery);
  if (pathname === '/') {
    void loadRolesPage();
    void client.prefetchQuery(eligibleRolesQuery);
  } else if (pathname === '/resources' || pathname === '/policies') {
    void loadResourcesPage();
  }
}
