import { afterEach, describe, expect, it, vi } from 'vitest';
import { ApiError, apiGet, apiPost } from './api.js';

afterEach(() => {
  vi.unstubAllGlobals();
});

function stubFetch(response: Response | Error): ReturnType<typeof vi.fn> {
  const fetchMock = vi.fn(() => (response instanceof Error ? Promise.reject(response) : Promise.resolve(response)));
  vi.stubGlobal('fetch', fetchMock);
  return fetchMock;
}

describe('apiGet', () => {
  it('sends the session cookie (same origin), no Authorization header, and returns the JSON body', async () => {
    const fetchMock = stubFetch(Response.json({ items: [] }));
    await expect(apiGet('/api/persons?name=a')).resolves.toEqual({ items: [] });
    expect(fetchMock).toHaveBeenCalledWith('/api/persons?name=a', {
      credentials: 'same-origin',
      headers: { Accept: 'application/json' },
    });
  });

  it('turns problem+json into an ApiError with detail and action', async () => {
    stubFetch(
      new Response(JSON.stringify({ code: 'PERSON_NOT_FOUND', detail: 'No such person', action: 'Check the ID', status: 404 }), {
        status: 404,
        headers: { 'content-type': 'application/problem+json' },
      }),
    );
    const error = await apiGet('/api/persons/1').catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ApiError);
    expect(error).toMatchObject({ status: 404, code: 'PERSON_NOT_FOUND', detail: 'No such person', action: 'Check the ID' });
  });

  it('falls back to the status when the error body is not JSON', async () => {
    stubFetch(new Response('<html>bad gateway</html>', { status: 502, statusText: 'Bad Gateway' }));
    await expect(apiGet('/api/x')).rejects.toMatchObject({ status: 502, code: 'HTTP_502', action: null });
  });

  it('reports an unreachable server as NETWORK_ERROR', async () => {
    stubFetch(new TypeError('fetch failed'));
    await expect(apiGet('/api/x')).rejects.toMatchObject({ status: 0, code: 'NETWORK_ERROR' });
  });
});

describe('apiPost', () => {
  it('sends the session cookie and the CSRF token header, never an Authorization header', async () => {
    const fetchMock = stubFetch(Response.json({ ok: true }));
    await expect(apiPost('/api/quality/scans', 'csrf-1', { a: 1 })).resolves.toEqual({ ok: true });
    expect(fetchMock).toHaveBeenCalledWith('/api/quality/scans', {
      method: 'POST',
      credentials: 'same-origin',
      headers: { 'X-CSRF-Token': 'csrf-1', Accept: 'application/json', 'Content-Type': 'application/json' },
      body: '{"a":1}',
    });
  });
});
