import { createContext, useContext, useEffect, useState } from 'react';
import { ApiError, apiGet, isAbort } from './api.js';
import type { Lang, MessageKey } from './i18n.js';

/** What every signed-in page needs: the language, its words, the session's CSRF token and the 401 exit. */
export interface ConsoleContextValue {
  readonly lang: Lang;
  readonly t: (key: MessageKey) => string;
  /** Sent as X-CSRF-Token on every unsafe request (apiPost). */
  readonly csrfToken: string;
  /** Called when the server rejects the session (401): the app returns to sign-in. */
  readonly onUnauthorized: () => void;
}

export const ConsoleContext = createContext<ConsoleContextValue | null>(null);

export function useConsole(): ConsoleContextValue {
  const value = useContext(ConsoleContext);
  if (value === null) throw new Error('useConsole outside ConsoleContext');
  return value;
}

export type Load<T> =
  | { readonly state: 'idle' }
  | { readonly state: 'loading' }
  | { readonly state: 'ok'; readonly data: T }
  | { readonly state: 'error'; readonly error: ApiError };

interface Keyed<T> {
  readonly path: string | null;
  readonly load: Load<T>;
}

/**
 * GETs `path` whenever it changes (null means "nothing to load"); a newer path aborts the
 * older request so a slow answer never overwrites a newer one.
 *
 * @example
 * const person = useApi<Person>(`/api/persons/${id}`);
 * if (person.state === 'ok') show(person.data);
 */
export function useApi<T>(path: string | null): Load<T> {
  const { onUnauthorized } = useConsole();
  const [keyed, setKeyed] = useState<Keyed<T>>({ path: null, load: { state: 'idle' } });

  useEffect(() => {
    if (path === null) return;
    const controller = new AbortController();
    void apiGet<T>(path, controller.signal).then(
      (data) => {
        setKeyed({ path, load: { state: 'ok', data } });
      },
      (error: unknown) => {
        if (isAbort(error)) return;
        const apiError =
          error instanceof ApiError ? error : new ApiError(0, 'CLIENT_ERROR', String(error), null);
        if (apiError.status === 401) onUnauthorized();
        setKeyed({ path, load: { state: 'error', error: apiError } });
      },
    );
    return () => {
      controller.abort();
    };
  }, [path, onUnauthorized]);

  if (path === null) return { state: 'idle' };
  // The effect has not answered for this path yet: never show the previous path's data.
  return keyed.path === path ? keyed.load : { state: 'loading' };
}
