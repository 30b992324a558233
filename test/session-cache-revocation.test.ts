// Authenticated sessions are cached in memory (identity/session.cache.ts); a revocation, sign-out
// or suspension made by another process (here a second connection to the same store) must hold on
// the server's very next request: the identity change counter (migration 0013) empties the cache.
import { Secret, TOTP } from 'otpauth';
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

  it("sign-ins and failed attempts leave the change counter alone (they would empty every node's cache); a suspension moves it", async () => {
    const counter = async (): Promise<string> => String((await fx.database.db.selectFrom('identity_changes').select('counter').executeTakeFirstOrThrow()).counter);
    const code = (secret: string, ms: number): string => new TOTP({ algorithm: 'SHA1', digits: 6, period: 30, secret: Secret.fromBase32(secret) }).generate({ timestamp: ms });
    const { enrolmentToken, officer } = await fx.identity.officers.createOfficer(testAdminActor, { username: `counter.${String(process.pid)}`, displayName: 'Lê Thị Hoa', role: 'national_officer', unit: { level: 'nation' } });
    const { totpSecret } = await fx.identity.auth.beginEnrolment(enrolmentToken);
    const now = fx.clock.now().getTime();
    const password = 'một mật khẩu đủ dài 2026';
    await fx.identity.auth.completeEnrolment({ enrolmentToken, password, code: code(totpSecret, now) });
    const enrolled = await counter();
    // A failed attempt (failure count), then a sign-in (last sign-in, TOTP step, count cleared): the officer's row changes, the counter does not.
    await expect(fx.identity.auth.signIn({ username: officer.username, password: 'not the password at all', code: code(totpSecret, now + 30_000) })).rejects.toMatchObject({ code: 'SIGN_IN_FAILED' });
    await fx.identity.auth.signIn({ username: officer.username, password, code: code(totpSecret, now + 30_000) });
    const row = await fx.database.db.selectFrom('identity_officers').select(['last_sign_in_at', 'totp_last_step']).where('officer_id', '=', officer.officerId).executeTakeFirstOrThrow();
    expect(row.last_sign_in_at).not.toBeNull();
    expect(await counter()).toBe(enrolled);
    await fx.identity.officers.suspend(testAdminActor, officer.officerId);
    expect(await counter()).not.toBe(enrolled);
  });

  it('the idle timeout still ends a cached session', async () => {
    const officer = await officerOf(fx.app, 'national_officer');
    await warm(officer);
    fx.clock.advance(15 * 60_000);
    expect(await me(officer)).toMatchObject({ statusCode: 401, code: 'SESSION_EXPIRED' });
  });
});
