// Linked procedures end to end on both stores: a parent's birth application and a relative's death
// application, each step in its owner's hands; refused applications leave nothing written; a
// failed delivery is retried with backoff, shown, failed for an officer, and retried by them.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { generatePopulation } from '../src/registry/population.generator.js';
import type { PersonRecord } from '../src/registry/person.types.js';
import type { Procedure } from '../src/services/procedure.types.js';
import { loadPopulation } from '../src/store/bulk-writer.js';
import { movableClock } from './exchange.fixture.js';
import { applicants, procedureStack } from './procedures.harness.js';
import { createTestDatabase, dialects } from './test-database.js';

type TestDatabase = Awaited<ReturnType<typeof createTestDatabase>>;

interface Posted { readonly url: string; readonly body: Record<string, unknown>; readonly headers: Readonly<Record<string, string>> }

for (const dialect of dialects) {
  describe(`linked procedures on ${dialect}`, () => {
    let database: TestDatabase;
    let stack: ReturnType<typeof procedureStack>;
    const clock = movableClock('2026-01-05T02:00:00.000Z'); // a Monday, 09:00 in Viet Nam
    const posted: Posted[] = [];
    let answer = 200;
    let people: readonly PersonRecord[] = [];

    beforeAll(async () => {
      database = await createTestDatabase(dialect);
      await loadPopulation(database, generatePopulation({ people: 300, seed: 16, today: '2026-01-01' }));
      stack = procedureStack(database, clock, {
        maxAttempts: 3, backoffMs: (n) => 1_000 * n,
        post: (url, body, headers) => {
          if (answer >= 200 && answer < 300) posted.push({ url, body: JSON.parse(body) as Record<string, unknown>, headers });
          return Promise.resolve(answer);
        },
      });
      await stack.service.setEndpoint('bhxh', 'http://127.0.0.1:9/bhxh');
      people = await applicants(database, 12);
    }, 120_000);
    afterAll(async () => {
      await stack.close();
      await database.close();
    });

    /** Runs passes until nothing is due (moving the clock over backoffs), at most `rounds`. */
    const drain = async (rounds = 20): Promise<void> => {
      for (let i = 0; i < rounds; i++) {
        if ((await stack.runner.pass()) === 0) clock.advance(1_500);
      }
    };
    const counts = async (): Promise<{ persons: number; lifeEvents: number; procedures: number; steps: number; outbox: number }> => {
      const n = async (table: 'persons' | 'life_events' | 'procedures' | 'procedure_steps' | 'event_outbox'): Promise<number> =>
        (await database.db.selectFrom(table).select((eb) => eb.fn.countAll<number>().as('n')).executeTakeFirstOrThrow()).n;
      return { persons: await n('persons'), lifeEvents: await n('life_events'), procedures: await n('procedures'), steps: await n('procedure_steps'), outbox: await n('event_outbox') };
    };
    const leavesOf = async (personId: string): Promise<readonly Record<string, unknown>[]> =>
      (await database.db.selectFrom('access_records').select('leaf').where('person_id', '=', personId).orderBy('idx').execute()).map((r) => JSON.parse(r.leaf) as Record<string, unknown>);
    const parent = (i: number): PersonRecord => {
      const p = people[i];
      if (p === undefined) throw new Error('not enough applicants in the population');
      return p;
    };

    it('a birth: the child is registered at submission, then gets residence in the parent\'s household and a health insurance card', async () => {
      const mother = people.find((p) => p.sex === 'F') ?? parent(0);
      const father = people.find((p) => p.sex === 'M' && p.idNumber !== mother.idNumber);
      const submitted = await stack.service.submitBirth({ applicantId: mother.idNumber, officerId: null }, {
        child: { fullName: 'Nguyễn Minh An', birthDate: '2025-12-20', sex: 'M' },
        ...(father === undefined ? {} : { otherParentId: father.idNumber }),
      });
      expect(submitted.steps.map((s) => [s.key, s.status])).toEqual([['birth_registration', 'done'], ['permanent_residence', 'pending'], ['health_insurance_card', 'pending']]);
      expect(submitted.steps.map((s) => s.owner)).toEqual(['ubnd_xa', 'cong_an_xa', 'bhxh']);
      const child = await stack.registry.getPerson(submitted.subjectId);
      expect(child).toMatchObject({ fullName: 'Nguyễn Minh An', birthDate: '2025-12-20', motherId: mother.idNumber, fatherId: father?.idNumber ?? null, permanentCommune: null });
      // Monday 09:00: the registration's limit is Tuesday, the group's Thursday.
      expect(submitted.steps[0]?.dueAt).toBe('2026-01-06T02:00:00.000Z');
      expect(submitted.dueAt).toBe('2026-01-08T02:00:00.000Z');

      await drain(4);
      const done = await stack.service.get(submitted.procedureId);
      expect(done.status).toBe('done');
      expect(done.steps.every((s) => s.status === 'done')).toBe(true);
      const housed = await stack.registry.getPerson(child.idNumber);
      expect(housed).toMatchObject({ permanentCommune: mother.permanentCommune, permanentAddress: mother.permanentAddress, householdId: mother.householdId });
      // Both registry steps are life events with their change events (the outbox), once each.
      const events = await stack.registry.personEvents(child.idNumber);
      expect(events.map((e) => e.type)).toEqual(['birth_registration', 'residence_change']);
      const outbox = await database.db.selectFrom('event_outbox').select('event_id').where('person_id', '=', child.idNumber).execute();
      expect(outbox).toHaveLength(2);
      // The card request went to social insurance, signed, with its idempotency key, once.
      const card = posted.filter((p) => p.body.procedureId === submitted.procedureId);
      expect(card).toHaveLength(1);
      expect(card[0]?.body).toMatchObject({ step: 'health_insurance_card', idNumber: child.idNumber, fullName: 'Nguyễn Minh An' });
      expect(card[0]?.headers['idempotency-key']).toBe(`${submitted.procedureId}:3`);
      expect(card[0]?.headers['x-sachsong-signature']).toMatch(/^[\w-]+\.\.[\w-]+$/);
      // The release to social insurance is in the access log, naming the agency, the service and the fields sent.
      const logged = (await leavesOf(child.idNumber)).filter((l) => l.service === 'procedure.health_insurance_card');
      expect(logged).toHaveLength(1);
      expect(logged[0]).toMatchObject({ clientId: 'VN/GOV/sachsong/procedures', receivingAgency: 'Bảo hiểm xã hội Việt Nam', requestId: `${submitted.procedureId}/3` });
      expect(logged[0]?.fields).toEqual(expect.arrayContaining(['idNumber', 'fullName', 'birthDate', 'permanentResidence']));
    });

    it('a death: recorded with the e-ID account locked in its transaction, residence removed, pension stop notified, lock observed', async () => {
      const relative = parent(1);
      const deceased = parent(2);
      const at = clock.now().toISOString();
      await database.db.insertInto('citizen_accounts').values({
        account_id: 'cit_00000000000000000000000000000016', person_id: deceased.idNumber, level: 1, status: 'active', phone: '0912000016', password_hash: 'x',
        totp_secret: null, totp_last_step: null, card_number: null, province: null, failed_attempts: 0, locked_until: null, last_sign_in_at: null, level2_at: null, created_at: at, updated_at: at,
      }).execute();
      const submitted = await stack.service.submitDeath({ applicantId: relative.idNumber, officerId: null }, { deceasedId: deceased.idNumber, deathDate: '2026-01-03' });
      expect(submitted.steps.map((s) => s.key)).toEqual(['death_registration', 'residence_removal', 'pension_stop', 'eid_lock']);
      const account = await database.db.selectFrom('citizen_accounts').select('status').where('person_id', '=', deceased.idNumber).executeTakeFirstOrThrow();
      expect(account.status).toBe('deceased');
      await drain(6);
      const done = await stack.service.get(submitted.procedureId);
      expect(done.steps.map((s) => s.status)).toEqual(['done', 'done', 'done', 'done']);
      expect(done.steps[3]?.result).toEqual({ account: 'locked' });
      const after = await stack.registry.getPerson(deceased.idNumber);
      expect(after).toMatchObject({ status: 'deceased', deathDate: '2026-01-03', permanentCommune: null, householdId: null });
      expect(posted.filter((p) => p.body.procedureId === submitted.procedureId).map((p) => p.body.step)).toEqual(['pension_stop']);
    });

    it('refuses bad applications with a clear code and writes nothing', async () => {
      const applicant = parent(3);
      // A parent under twelve at the birth: impossible.
      const [young] = await applicants(database, 1, '2026-01-01', '2015-01-01');
      if (young === undefined) throw new Error('no child in the population');
      const before = await counts();
      const child = { fullName: 'Trần Thu Hà', birthDate: '2025-11-02', sex: 'F' as const };
      const cases: [string, () => Promise<Procedure>][] = [
        ['PARENT_NOT_FOUND', () => stack.service.submitBirth({ applicantId: applicant.idNumber, officerId: null }, { child, otherParentId: '001099999999' })],
        ['APPLICANT_NOT_FOUND', () => stack.service.submitBirth({ applicantId: '001099999998', officerId: null }, { child })],
        ['BIRTH_DATE_IMPOSSIBLE', () => stack.service.submitBirth({ applicantId: applicant.idNumber, officerId: null }, { child: { ...child, birthDate: '2026-03-01' } })],
        ['DATE_INVALID', () => stack.service.submitBirth({ applicantId: applicant.idNumber, officerId: null }, { child: { ...child, birthDate: '2025-02-30' } })],
        ['BIRTH_DATE_IMPOSSIBLE', () => stack.service.submitBirth({ applicantId: young.idNumber, officerId: null }, { child })],
        ['CHILD_TOO_OLD', () => stack.service.submitBirth({ applicantId: applicant.idNumber, officerId: null }, { child: { ...child, birthDate: '2018-05-05' } })],
        ['NAME_INVALID', () => stack.service.submitBirth({ applicantId: applicant.idNumber, officerId: null }, { child: { ...child, fullName: 'Trần 3 Hà' } })],
        ['DEATH_DATE_IMPOSSIBLE', () => stack.service.submitDeath({ applicantId: applicant.idNumber, officerId: null }, { deceasedId: parent(4).idNumber, deathDate: '2026-02-01' })],
        ['DEATH_DATE_IMPOSSIBLE', () => stack.service.submitDeath({ applicantId: applicant.idNumber, officerId: null }, { deceasedId: parent(4).idNumber, deathDate: '1900-01-01' })],
        ['DECEASED_NOT_FOUND', () => stack.service.submitDeath({ applicantId: applicant.idNumber, officerId: null }, { deceasedId: '001099999997', deathDate: '2026-01-01' })],
        ['APPLICANT_IS_DECEASED_PERSON', () => stack.service.submitDeath({ applicantId: applicant.idNumber, officerId: null }, { deceasedId: applicant.idNumber, deathDate: '2026-01-01' })],
        // the person who died in the test above cannot apply, nor die twice
        ['APPLICANT_DECEASED', () => stack.service.submitBirth({ applicantId: parent(2).idNumber, officerId: null }, { child })],
        ['PROCEDURE_DUPLICATE', () => stack.service.submitDeath({ applicantId: applicant.idNumber, officerId: null }, { deceasedId: parent(2).idNumber, deathDate: '2026-01-03' })],
      ];
      for (const [code, submit] of cases) await expect(submit(), code).rejects.toMatchObject({ code });
      expect(await counts()).toEqual(before);

      // The same birth twice: the second is refused, only one child exists.
      const first = await stack.service.submitBirth({ applicantId: applicant.idNumber, officerId: null }, { child });
      await expect(stack.service.submitBirth({ applicantId: applicant.idNumber, officerId: null }, { child: { ...child, fullName: 'trần  thu hà' } })).rejects.toMatchObject({ code: 'PROCEDURE_DUPLICATE', details: { procedureId: first.procedureId } });
      const after = await counts();
      expect(after.persons).toBe(before.persons + 1);
      expect(after.procedures).toBe(before.procedures + 1);
    });

    it('a failed delivery is retried with backoff and shown; after the last try it fails for an officer, whose retry completes it', async () => {
      answer = 503;
      const applicant = parent(5);
      const submitted = await stack.service.submitBirth({ applicantId: applicant.idNumber, officerId: null }, { child: { fullName: 'Lê Văn Phúc', birthDate: '2025-10-10', sex: 'M' } });
      await stack.runner.pass(); // residence
      await stack.runner.pass(); // first try of the card
      const retrying = await stack.service.get(submitted.procedureId);
      expect(retrying.steps[2]).toMatchObject({ stored: 'pending', attempts: 1, lastError: 'HTTP 503' });
      expect(retrying.steps[2]?.nextAttemptAt).toBe(new Date(clock.now().getTime() + 1_000).toISOString());
      expect(await stack.runner.pass()).toBe(0); // backoff: not due yet
      await drain(6);
      const failed = await stack.service.get(submitted.procedureId);
      expect(failed.status).toBe('failed');
      expect(failed.steps[2]).toMatchObject({ status: 'failed', attempts: 3, lastError: 'HTTP 503' });
      await expect(stack.service.retryStep(submitted.procedureId, 2)).rejects.toMatchObject({ code: 'STEP_NOT_FAILED' });
      answer = 200;
      await stack.service.retryStep(submitted.procedureId, 3);
      await drain(2);
      const done = await stack.service.get(submitted.procedureId);
      expect(done.status).toBe('done');
      expect(posted.filter((p) => p.body.procedureId === submitted.procedureId)).toHaveLength(1);
      // Its access record was written once, before the first try, though it was tried four times.
      expect((await leavesOf(submitted.subjectId)).filter((l) => l.service === 'procedure.health_insurance_card')).toHaveLength(1);
    });

    it('a step past its time limit shows as overdue, and so does the group', async () => {
      answer = 503;
      const applicant = parent(6);
      const submitted = await stack.service.submitBirth({ applicantId: applicant.idNumber, officerId: null }, { child: { fullName: 'Phạm Gia Huy', birthDate: '2025-09-09', sex: 'M' } });
      clock.advance(7 * 86_400_000);
      const late = await stack.service.get(submitted.procedureId);
      expect(late.steps[1]?.status).toBe('overdue');
      expect(late.overdue).toBe(true);
      answer = 200;
    });
  });
}
