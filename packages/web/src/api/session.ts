import { queryOptions, useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { api } from './client';
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
