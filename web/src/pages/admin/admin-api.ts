/**
 * Requests of the administration pages that the shared api.ts has no helper for: PUT with a JSON
 * body, and a file upload (a raw body). The same problem+json handling as apiPost.
 */
import { ApiError, apiPost } from '../../api.js';

async function problemOf(response: Response): Promise<ApiError> {
  try {
    const body = (await response.json()) as { code?: unknown; detail?: unknown; action?: unknown };
    return new ApiError(response.status, typeof body.code === 'string' ? body.code : `HTTP_${String(response.status)}`, typeof body.detail === 'string' ? body.detail : response.statusText, typeof body.action === 'string' ? body.action : null);
  } catch {
    return new ApiError(response.status, `HTTP_${String(response.status)}`, response.statusText, null);
  }
}

/** Sends `body` with `method` (PUT, or POST through apiPost) and the session's CSRF token. */
export async function apiSend<T>(method: 'PUT' | 'POST', path: string, csrfToken: string, body: unknown): Promise<T> {
  if (method === 'POST') return apiPost<T>(path, csrfToken, body);
  let response: Response;
  try {
    response = await fetch(path, { method, credentials: 'same-origin', headers: { 'X-CSRF-Token': csrfToken, Accept: 'application/json', 'Content-Type': 'application/json' }, body: JSON.stringify(body) });
  } catch {
    throw new ApiError(0, 'NETWORK_ERROR', '', null);
  }
  if (!response.ok) throw await problemOf(response);
  return (await response.json()) as T;
}

/** Uploads a file as the raw request body (streamed to disk by the server). */
export async function apiUpload<T>(path: string, csrfToken: string, file: Blob, contentType: string): Promise<T> {
  let response: Response;
  try {
    response = await fetch(path, { method: 'PUT', credentials: 'same-origin', headers: { 'X-CSRF-Token': csrfToken, Accept: 'application/json', 'Content-Type': contentType }, body: file });
  } catch {
    throw new ApiError(0, 'NETWORK_ERROR', '', null);
  }
  if (!response.ok) throw await problemOf(response);
  return (await response.json()) as T;
}

/** Any thrown value as an ApiError the page can show. */
export function asApiError(error: unknown): ApiError {
  return error instanceof ApiError ? error : new ApiError(0, 'CLIENT_ERROR', String(error), null);
}
