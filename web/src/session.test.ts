import { afterEach, describe, expect, it, vi } from 'vitest';
import { apiGet } from './api.js';
import { idleExpired, idleLimitMs, loadMe, signOutAt } from './session.js';

afterEach(() => {
  vi.unstubAllGlobals();
});

describe('the console session', () => {
  it('counts idle time from the last request that reached the server', async () => {
    vi.stubGlobal('fetch', vi.fn(() => Promise.resolve(Response.json({}))));
    await apiGet('/api/identity/me');
    const seen = Date.now();
    expect(idleExpired(seen + idleLimitMs - 1_000)).toBe(false);
    expect(idleExpired(seen + idleLimitMs + 1_000)).toBe(true);
  });

  it('asks /api/identity/me who is signed in; a 401 means "sign in"', async () => {
    vi.stubGlobal('fetch', vi.fn(() => Promise.resolve(Response.json({ code: 'SESSION_REQUIRED' }, { status: 401 }))));
    await expect(loadMe()).resolves.toBeNull();
    vi.stubGlobal('fetch', vi.fn(() => Promise.resolve(Response.json({ kind: 'officer', id: 'o1', role: 'auditor', unit: { level: 'nation' }, permissions: [], csrfToken: 'c' }))));
    await expect(loadMe()).resolves.toMatchObject({ id: 'o1', csrfToken: 'c' });
  });

  it('signs out with the CSRF token and goes where the server says (the provider\'s sign-out)', async () => {
    const fetchMock = vi.fn(() => Promise.resolve(Response.json({ location: 'http://x/oidc/session/end?client_id=sachsong-console' })));
    vi.stubGlobal('fetch', fetchMock);
    await expect(signOutAt('csrf-9')).resolves.toBe('http://x/oidc/session/end?client_id=sachsong-console');
    expect(fetchMock).toHaveBeenCalledWith('/auth/logout', expect.objectContaining({ method: 'POST', headers: expect.objectContaining({ 'X-CSRF-Token': 'csrf-9' }) as unknown }));
  });
});
