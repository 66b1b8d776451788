import { queryOptions, useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { useEffect } from 'react';
import { api, ApiError } from './client';
import type { Session } from './types';

export const SESSION_KEY = ['session'] as const;

export const sessionQuery = queryOptions({
  queryKey: SESSION_KEY,
  queryFn: ({ signal }) => api<Session>('/api/v3/session', { signal }),
  staleTime: 60_000,
});

export function useSession() {
  return useQuery(sessionQuery);
}

/** Demo sign-in and sign-out change who every cached answer was for: drop them all. */
export function useDemoSignIn() {
  const client = useQueryClient();
  return useMutation({
    mutationFn: (email: string) =>
      api<{ user: string; groups: string[] }>('/api/v3/session/demo', { method: 'POST', body: { email } }),
    onSuccess: async () => {
      client.clear();
      await client.invalidateQueries({ queryKey: SESSION_KEY });
    },
  });
}

export function useSignOut() {
  const client = useQueryClient();
  return useMutation({
    mutationFn: () => api<{ signedOut: boolean }>('/api/v3/session/sign-out', { method: 'POST' }),
    onSuccess: async () => {
      client.clear();
      await client.invalidateQueries({ queryKey: SESSION_KEY });
    },
  });
}

/** A provider that is briefly away: try the refresh again this much later, while the session lasts. */
const REFRESH_RETRY_MS = 15_000;

/**
 * Renews an OIDC session before it expires, without a reload: when the session answer says it is
 * refreshable, POST /auth/oidc/refresh (with the CSRF header, as every call) once `refreshInSeconds` have
 * passed since that answer, then read the session again, which schedules the next renewal. A refresh the
 * gateway refuses (no refresh token, the provider said no) signs the browser out cleanly: the cookies are
 * cleared and every cached answer dropped, so the sign-in page shows rather than pages failing one by one.
 * A provider that cannot be reached (503) is tried again until the session would have expired.
 */
export function useSessionRefresh() {
  const client = useQueryClient();
  const { data, dataUpdatedAt } = useSession();
  const refreshIn = data?.signedIn && data.refreshable ? data.refreshInSeconds : undefined;
  const expiresIn = data?.expiresInSeconds;
  useEffect(() => {
    if (refreshIn === undefined || expiresIn === undefined) return;
    let timer: ReturnType<typeof setTimeout> | undefined;
    let stopped = false;
    // Times are the gateway's durations from the answer, measured on this browser's clock alone: a
    // browser clock that is off does not matter.
    const answeredAt = dataUpdatedAt;
    const lifetimeMs = expiresIn * 1000;
    const signOut = async () => {
      await api('/auth/logout', { method: 'POST' }).catch(() => undefined);
      // Every answer but the session's goes; the session query is kept (pages observe it) and read
      // again, so it says signed out and the page moves to the sign-in page.
      client.removeQueries({ predicate: (query) => query.queryKey[0] !== SESSION_KEY[0] });
      await client.invalidateQueries({ queryKey: SESSION_KEY });
    };
    const attempt = async () => {
      try {
        await api<{ refreshed: boolean; expiresAt: number }>('/auth/oidc/refresh', { method: 'POST' });
        if (!stopped) await client.invalidateQueries({ queryKey: SESSION_KEY });
      } catch (error) {
        if (stopped) return;
        const unavailable = error instanceof ApiError && error.status >= 500;
        if (unavailable && Date.now() + REFRESH_RETRY_MS < answeredAt + lifetimeMs) {
          timer = setTimeout(() => void attempt(), REFRESH_RETRY_MS);
          return;
        }
        await signOut();
      }
    };
    timer = setTimeout(() => void attempt(), Math.max(0, answeredAt + refreshIn * 1000 - Date.now()));
    return () => {
      stopped = true;
      clearTimeout(timer);
    };
  }, [client, refreshIn, expiresIn, dataUpdatedAt]);
}
