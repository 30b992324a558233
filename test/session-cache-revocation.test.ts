// Authenticated sessions are cached in memory (identity/session.cache.ts); a revocation, sign-out
// or suspension made by another process (here a second connection to the same store) must hold on
// the server's very next request: the identity change counter (migration 0013) empties the cache.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openDatabase, type Database } from '../src/store/database.js';
import { dialects } from './test-database.js';
import { officerOf, startExchangeFixture, type ExchangeFixture } from './exchange.fixture.js';
import { testAdminActor, testIdentity, type SignedInOfficer } from './officer-session.js';
import type { IdentityModule } from '../src/identity/identity.module.js';

describe.each(dialects)('cached sessions against changes by another process (%s)', (dialect) => {
  let fx: ExchangeFixture;

  beforeAll(async () => {
    fx = await startExchangeFixture(dialect, { people: 5 });
  }, 120_000);
  afterAll(async () => {
    await fx.close();
  });

  const me = async (officer: SignedInOfficer): Promise<{ statusCode: number; code: unknown }> => {
    const response = await fx.app.inject({ url: '/api/identity/me', headers: { cookie: officer.headers.cookie } });
    return { statusCode: response.statusCode, code: response.json<{ code?: unknown }>().code };
  };

  /** Runs `change` through a second connection to the same store, then lets the server's event-loop turn end. */
  const byOtherProcess = async (change: (other: IdentityModule) => Promise<unknown>): Promise<void> => {
    const other: Database = dialect === 'sqlite' ? openDatabase({ sqliteFile: fx.database.location }) : openDatabase({ databaseUrl: fx.database.url ?? '', poolSize: 1 });
    try {
      await change(testIdentity(other.db, fx.clock));
    } finally {
      await other.close();
    }
    await new Promise((resolve) => setImmediate(resolve));
  };

  /** Two reads in a row: the second is answered from the cache. */
  const warm = async (officer: SignedInOfficer): Promise<void> => {
    expect((await me(officer)).statusCode).toBe(200);
    expect((await me(officer)).statusCode).toBe(200);
  };

  it('a session signed out by another process is refused on the next request', async () => {
    const officer = await officerOf(fx.app, 'national_officer');
    await warm(officer);
    await byOtherProcess((other) => other.auth.signOut(officer.sessionId));
    expect(await me(officer)).toMatchObject({ statusCode: 401, code: 'SESSION_INVALID' });
  });

  it('a session revoked by another process is refused on the next request', async () => {
    const officer = await officerOf(fx.app, 'national_officer');
    await warm(officer);
    await byOtherProcess(async (other) => {
      const [session] = await other.auth.listSessions(officer.officerId);
      await other.auth.revokeSession(testAdminActor, session?.sessionRef ?? '');
    });
    expect(await me(officer)).toMatchObject({ statusCode: 401, code: 'SESSION_INVALID' });
  });

  it('an officer suspended by another process is refused on the next request', async () => {
    const officer = await officerOf(fx.app, 'national_officer');
    await warm(officer);
    await byOtherProcess((other) => other.officers.suspend(testAdminActor, officer.officerId));
    expect(await me(officer)).toMatchObject({ statusCode: 401, code: 'SESSION_INVALID' });
  });

  it('a role change or second factor reset by another process holds on the next request', async () => {
    const moved = await officerOf(fx.app, 'national_officer');
    const reset = await officerOf(fx.app, 'national_officer');
    await warm(moved);
    await warm(reset);
    await byOtherProcess((other) => other.officers.changeRole(testAdminActor, moved.officerId, 'commune_officer', { level: 'commune', code: '00004' }));
    expect(await me(moved)).toMatchObject({ statusCode: 401, code: 'SESSION_INVALID' });
    expect((await me(reset)).statusCode).toBe(200);
    await byOtherProcess((other) => other.officers.resetSecondFactor(testAdminActor, reset.officerId));
    expect(await me(reset)).toMatchObject({ statusCode: 401, code: 'SESSION_INVALID' });
  });

  it('the idle timeout still ends a cached session', async () => {
    const officer = await officerOf(fx.app, 'national_officer');
    await warm(officer);
    fx.clock.advance(15 * 60_000);
    expect(await me(officer)).toMatchObject({ statusCode: 401, code: 'SESSION_EXPIRED' });
  });
});
