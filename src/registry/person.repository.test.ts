import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestDatabase, dialects } from '../../test/test-database.js';
import { verifyFactsReadModel } from './verify-facts.read-model.js';
import { systemClock } from '../shared/clock.js';
import type { Database } from '../store/database.js';
import { readTurnEnded } from '../store/shared-read.test-helper.js';
import { householdRepository } from './household.repository.js';
import { personRepository } from './person.repository.js';
import { RegistryService } from './registry.service.js';

const idNumber = '001190000123';

// The by-ID reads run on the connection directly, sharing a read transaction per turn on SQLite:
// a write transaction still open on the same connection must not show through.
describe.each(dialects)('reads by ID on %s, beside an open write transaction', (dialect) => {
  let database: Database;

  beforeAll(async () => {
    database = await createTestDatabase(dialect);
    const registry = new RegistryService({ db: database.db, clock: systemClock });
    await registry.register({
      type: 'registration', idNumber, occurredOn: '2025-08-01', officerId: null, reason: null,
      facts: { fullName: 'Nguyễn Thị Lan', birthDate: '1990-03-12', sex: 'F', birthProvince: '001', permanentCommune: '00004', permanentAddress: 'Số 5 ngõ 12 Đội Cấn' },
    });
  });
  afterAll(async () => {
    await database.close();
  });

  it('never see a change that is rolled back, and see one that is committed', async () => {
    const before = await personRepository.findById(database.db, idNumber);
    if (before === undefined) throw new Error('the person was not registered');
    // Queued first: on SQLite the reads run when the turn ends, by which time the transaction below
    // has begun and written (Kysely runs it on microtasks) and is waiting, uncommitted.
    const reads = Promise.all([
      personRepository.findById(database.db, idNumber).then((p) => p?.fullName),
      verifyFactsReadModel.find(database.db, idNumber).then((f) => f?.fullName),
    ]);
    const renamed = database.db.transaction().execute(async (trx) => {
      expect(await personRepository.update(trx, { ...before, fullName: 'Trần Thị Mai', version: before.version + 1 }, before.version)).toBe(true);
      // Held open until the reads have run: on SQLite until their turn has ended (a read that
      // waits for this transaction cannot answer before it ends), on PostgreSQL until they answer.
      await (dialect === 'sqlite' ? readTurnEnded(database.db) : reads);
      throw new Error('roll back');
    });
    await expect(renamed).rejects.toThrow('roll back');
    expect(await reads).toEqual(['Nguyễn Thị Lan', 'Nguyễn Thị Lan']);

    await database.db.transaction().execute(async (trx) => {
      await personRepository.update(trx, { ...before, fullName: 'Trần Thị Mai', version: before.version + 1 }, before.version);
    });
    expect((await personRepository.findById(database.db, idNumber))?.fullName).toBe('Trần Thị Mai');
    expect((await verifyFactsReadModel.find(database.db, idNumber))?.fullName).toBe('Trần Thị Mai');
  });

  it('answer concurrent reads each with its own person', async () => {
    const ids = [idNumber, '001190000999', idNumber, '079203012345'];
    const found = await Promise.all(ids.map((id) => personRepository.findById(database.db, id)));
    expect(found.map((p) => p?.idNumber)).toEqual([idNumber, undefined, idNumber, undefined]);
  });

  it('read a person with their household commune in one query, directly and inside a transaction', async () => {
    const person = await personRepository.findById(database.db, idNumber);
    expect(await personRepository.findWithHouseholdCommune(database.db, idNumber)).toEqual({ person, householdCommune: null });
    expect(await personRepository.findWithHouseholdCommune(database.db, '001190000999')).toBeUndefined();
    const at = new Date().toISOString();
    await householdRepository.upsert(database.db, { householdId: 'HH-TEST-1', headId: idNumber, communeCode: '00007', address: null, createdAt: at, updatedAt: at });
    await database.db.updateTable('persons').set({ household_id: 'HH-TEST-1' }).where('id_number', '=', idNumber).execute();
    const moved = await personRepository.findById(database.db, idNumber);
    expect(await personRepository.findWithHouseholdCommune(database.db, idNumber)).toEqual({ person: moved, householdCommune: '00007' });
    // Inside a transaction the read goes through Kysely.
    expect(await database.db.transaction().execute((trx) => personRepository.findWithHouseholdCommune(trx, idNumber))).toEqual({ person: moved, householdCommune: '00007' });
    await database.db.updateTable('persons').set({ household_id: null }).where('id_number', '=', idNumber).execute();
  });
});
