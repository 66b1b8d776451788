import { useCallback, useState } from 'react';

/**
 * Small preferences kept in this browser only (favourite roles, recently used, console region per role),
 * as ConsoleMe kept its recent roles. Unreadable or blocked storage just means no preferences.
 */
function read<T>(key: string, fallback: T): T {
  try {
    const raw = window.localStorage.getItem(key);
    return raw === null ? fallback : (JSON.parse(raw) as T);
  } catch {
    return fallback;
  }
}

function write(key: string, value: unknown): void {
  try {
    window.localStorage.setItem(key, JSON.stringify(value));
  } catch {
    // Private mode or a full quota: the preference lasts for this page only.
  }
}

export function useStoredState<T>(key: string, fallback: T): [T, (next: T) => void] {
  const [value, setValue] = useState<T>(() => read(key, fallback));
  const update = useCallback(
    (next: T) => {
      setValue(next);
      write(key, next);
    },
    [key],
  );
  return [value, update];
}

export const STORAGE_KEYS = {
  favourites: 'rolecall.favouriteRoles',
  recent: 'rolecall.recentRoles',
  regions: 'rolecall.consoleRegions',
} as const;

export const MAX_RECENT = 5;

/** Records a role as just used, for the next visit (called before the console tab opens). */
export function rememberRecent(arn: string): string[] {
  const recent = [arn, ...read<string[]>(STORAGE_KEYS.recent, []).filter((a) => a !== arn)].slice(
    0,
    MAX_RECENT,
  );
  write(STORAGE_KEYS.recent, recent);
  return recent;
}
