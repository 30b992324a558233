import { exportJWK, generateKeyPair } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestDatabase, dialects } from '../../test/test-database.js';
import { fixedClock } from '../shared/clock.js';
import { openDatabase, type Database } from '../store/database.js';
import { ExchangeDirectory } from './exchange.directory.js';
import { GrantService } from './grant.service.js';
import { grantRepository } from './grant.repository.js';
import { MemberService } from './member.service.js';

const clock = fixedClock('2026-03-01T08:00:00Z');
const clientId = 'VN/GOV/BTC/tax';
const nextTurn = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

describe.each(dialects)('exchange directory on %s', (dialect) => {
  let database: Awaited<ReturnType<typeof createTestDatabase>>;
  let other: Database;
  let grants: GrantService;

  beforeAll(async () => {
    database = await createTestDatabase(dialect);
    // Another process: its own connection and directory.
    other = dialect === 'sqlite' ? openDatabase({ sqliteFile: database.location }) : openDatabase({ databaseUrl: database.url ?? '', poolSize: 1 });
    const directory = new ExchangeDirectory({ db: other.db, clock });
    const { publicKey } = await generateKeyPair('EdDSA', { crv: 'Ed25519' });
    await new MemberService({ db: other.db, clock, directory }).onboard({ memberId: 'VN/GOV/BTC', name: 'Bộ Tài chính', kind: 'ministry', subsystems: [{ code: 'tax', name: 'Thuế', jwks: { keys: [{ ...(await exportJWK(publicKey)), kid: 'k1' }] } }], officers: [] });
    grants = new GrantService({ db: other.db, clock, directory });
  });
  afterAll(async () => {
    await other.close();
    await database.close();
  });

  const add = (service: string) => grants.add({ clientId, service, fields: ['fullName'], purposes: [{ code: 'TAX', text: 'Thuế' }], legalBasis: 'law', validUntil: '2027-12-31', ratePerMinute: 10, dailyCap: 100 });

  it('a load that read the store before another process\'s change is neither joined nor kept after it', async () => {
    const directory = new ExchangeDirectory({ db: database.db, clock });
    const { grantId } = await add('verify');
    expect((await directory.get(clientId))?.grants.get('verify')).toHaveLength(1);
    directory.invalidate(clientId);

    // The next load reads the grants, then stalls until the gate opens.
    const { activeFor } = grantRepository; // eslint-disable-line @typescript-eslint/unbound-method -- an object of plain functions, no `this`
    let open = (): void => undefined;
    const gate = new Promise<void>((resolve) => { open = resolve; });
    let stalled = (): void => undefined;
    const readStale = new Promise<void>((resolve) => { stalled = resolve; });
    grantRepository.activeFor = async (db, id) => {
      grantRepository.activeFor = activeFor;
      const rows = await activeFor(db, id);
      stalled();
      await gate;
      return rows;
    };
    try {
      const before = directory.get(clientId);
      await readStale;
      await grants.revoke(grantId);
      await nextTurn();
      // Asked after the revocation: a fresh load, not the one in flight. (On SQLite the check is
      // synchronous, so this call meets the stalled load; on PostgreSQL its counter query lets
      // the stalled load finish first, and the test checks only that nothing stale is kept.)
      const after = directory.get(clientId);
      open();
      expect((await after)?.grants.get('verify')).toBeUndefined();
      // The call that started before the revocation may get what it read then; nothing keeps it.
      expect((await before)?.grants.get('verify')).toHaveLength(1);
      await nextTurn();
      expect((await directory.get(clientId))?.grants.get('verify')).toBeUndefined();
      expect(directory.peek(clientId)?.grants.get('verify')).toBeUndefined();
    } finally {
      grantRepository.activeFor = activeFor;
      open();
    }
  });

  it.runIf(dialect === 'sqlite')('while a transaction is open on the connection, a change committed by another process is still seen', async () => {
    const directory = new ExchangeDirectory({ db: database.db, clock });
    const { grantId } = await add('person');
    expect((await directory.get(clientId))?.grants.get('person')).toHaveLength(1);
    let finish = (): void => undefined;
    const held = new Promise<void>((resolve) => { finish = resolve; });
    let begun = (): void => undefined;
    const inside = new Promise<void>((resolve) => { begun = resolve; });
    const trx = database.db.transaction().execute(async (t) => {
      await t.selectFrom('exchange_changes').select('counter').execute();
      begun();
      await held;
    });
    await inside;
    await grants.revoke(grantId);
    await nextTurn();
    // The transaction's snapshot predates the revocation: the directory must not read inside it.
    expect(directory.peek(clientId)).toBeUndefined();
    const seen = directory.get(clientId);
    finish();
    await trx;
    expect((await seen)?.grants.get('person')).toBeUndefined();
  });
});
