/** The operator token, kept for this browser tab only (sessionStorage), never in localStorage. */

const storageKey = 'sachsong.token';

export function loadToken(): string | null {
  try {
    const token = sessionStorage.getItem(storageKey);
    return token === null || token === '' ? null : token;
  } catch {
    return null;
  }
}

export function saveToken(token: string): void {
  try {
    sessionStorage.setItem(storageKey, token);
  } catch {
    // Storage disabled: the token lives in memory until the tab reloads.
  }
}

export function clearToken(): void {
  try {
    sessionStorage.removeItem(storageKey);
  } catch {
    // Nothing stored, nothing to clear.
  }
}
