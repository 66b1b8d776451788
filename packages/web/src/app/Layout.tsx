import Button from '@cloudscape-design/components/button';
import SideNavigation, { type SideNavigationProps } from '@cloudscape-design/components/side-navigation';
import TopNavigation from '@cloudscape-design/components/top-navigation';
import { useCallback, useState } from 'react';
import { Outlet, useLocation, useNavigate } from 'react-router';
import { useSession, useSignOut } from '../api/session';
import './layout.css';

/** Follows a Cloudscape link with the router instead of a full page load (new tabs still work). */
export function useFollow() {
  const navigate = useNavigate();
  // Stable, so that memoized cells and columns using it are not redrawn on every render.
  return useCallback(
    (event: CustomEvent<{ href?: string; external?: boolean }>) => {
      const href = event.detail.href;
      if (!href || event.detail.external) return;
      event.preventDefault();
      void navigate(href);
    },
    [navigate],
  );
}

function activeHref(pathname: string): string {
  if (pathname === '/' || pathname.startsWith('/role/')) return '/';
  if (pathname.startsWith('/resources') || pathname.startsWith('/policies')) return '/resources';
  if (pathname.startsWith('/requests')) return '/requests';
  if (pathname.startsWith('/admin')) return '/admin';
  return pathname;
}

export function Layout() {
  const session = useSession();
  const signOut = useSignOut();
  const navigate = useNavigate();
  const follow = useFollow();
  const location = useLocation();
  const [menuOpen, setMenuOpen] = useState(false);
  const user = session.data?.signedIn ? session.data.user : undefined;

  const items: SideNavigationProps.Item[] = [
    { type: 'link', text: 'Roles', href: '/' },
    { type: 'link', text: 'Resources', href: '/resources' },
    { type: 'link', text: 'Request access', href: '/selfservice' },
    { type: 'link', text: 'Requests', href: '/requests' },
    ...(session.data?.isAdmin ? [{ type: 'link' as const, text: 'Admin', href: '/admin' }] : []),
    { type: 'divider' },
    { type: 'link', text: 'API documentation', href: '/docs', external: true },
  ];

  return (
    <>
      <a className="rc-skip" href="#main">
        Skip to the content
      </a>
      <header className="rc-header">
        <TopNavigation
          identity={{ href: '/', title: 'Rolecall', onFollow: follow }}
          utilities={
            user
              ? [
                  {
                    type: 'menu-dropdown',
                    text: user,
                    description: session.data?.isAdmin
                      ? 'Administrator'
                      : (session.data?.groups ?? []).join(', '),
                    iconName: 'user-profile',
                    items: [{ id: 'signout', text: 'Sign out' }],
                    onItemClick: ({ detail }) => {
                      if (detail.id !== 'signout') return;
                      signOut.mutate(undefined, { onSuccess: () => void navigate('/signin') });
                    },
                  },
                ]
              : [{ type: 'button', text: 'Sign in', href: '/signin', onFollow: follow }]
          }
        />
      </header>
      <div className="rc-body">
        <nav className="rc-nav" aria-label="Main menu" data-open={menuOpen} id="main-menu">
          <SideNavigation
            activeHref={activeHref(location.pathname)}
            items={items}
            onFollow={(event) => {
              follow(event);
              setMenuOpen(false);
            }}
          />
        </nav>
        <div>
          <div className="rc-menu-button">
            <Button
              iconName={menuOpen ? 'close' : 'menu'}
              variant="icon"
              ariaLabel={menuOpen ? 'Close the menu' : 'Open the menu'}
              ariaExpanded={menuOpen}
              onClick={() => setMenuOpen(!menuOpen)}
            />
          </div>
          <main className="rc-main" id="main" tabIndex={-1}>
            <Outlet />
          </main>
        </div>
      </div>
    </>
  );
}
