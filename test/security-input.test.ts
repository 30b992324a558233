/**
 * Security review (issue 13), the input side: free text, dates after today, and the person import
 * (deeply nested rows, invalid UTF-8 rows, reruns, rejection messages without personal data).
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import Fastify from 'fastify';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { registerErrorHandler } from '../src/http/error-handler.js';
import { personRoutes } from '../src/registry/person.routes.js';
import { personTiesResolver } from '../src/identity/person-ties.js';
import '../src/http/api-auth.js';
import { readPersonFile } from '../src/registry/person-file.reader.js';
import { PersonImportService, type ImportRow } from '../src/registry/person-import.service.js';
import { RegistryService, type RegistrationInput } from '../src/registry/registry.service.js';
import { fixedClock, type Clock } from '../src/shared/clock.js';
import { DomainError } from '../src/shared/domain-error.js';
import type { Database } from '../src/store/database.js';
import { createTestDatabase } from './test-database.js';

let dir: string;
beforeAll(() => {
  dir = mkdtempSync(path.join(tmpdir(), 'sachsong-security-input-'));
});
afterAll(() => {
  rmSync(dir, { recursive: true, force: true });
});

let fileNo = 0;
function file(extension: string, content: string | Uint8Array): string {
  const name = path.join(dir, `f${++fileNo}${extension}`);
  writeFileSync(name, content);
  return name;
}

async function refusal(work: () => Promise<unknown>): Promise<DomainError> {
  try {
    await work();
  } catch (error) {
    if (error instanceof DomainError) return error;
    throw error;
  }
  throw new Error('expected a refusal');
}

const facts = { fullName: 'Phạm Văn Hùng', birthDate: '1985-01-02', sex: 'M', birthProvince: '001', currentCommune: '00004', currentAddress: 'Số 5 ngõ 12' };

function registration(serial: number, overrides: Record<string, unknown> = {}, occurredOn = '2026-12-01'): RegistrationInput {
  return { type: 'registration', idNumber: `001085${String(serial).padStart(6, '0')}`, occurredOn, officerId: 'OFF-1', reason: null, facts: { ...facts, ...overrides } };
}

/** An import row as the CSV reader gives it (the exported column names). */
function row(rowNumber: number, overrides: Record<string, string | null> = {}): ImportRow {
  return {
    rowNumber,
    record: { id_number: `001085${String(rowNumber).padStart(6, '0')}`, full_name: 'Phạm Văn Hùng', birth_date: '1985-01-02', sex: 'M', birth_province: '001', current_commune: '00004', ...overrides },
  };
}

function ndjsonLine(serial: number): string {
  return JSON.stringify({ id_number: `001085${String(serial).padStart(6, '0')}`, full_name: 'Lê Thị Hoa', birth_date: '1985-03-04', sex: 'M', birth_province: '001' });
}

describe('security review: registry input', () => {
  let database: Database;
  let clock: Clock;
  let registry: RegistryService;
  let importer: PersonImportService;

  const useClock = (at: string): void => {
    clock = fixedClock(at);
    registry = new RegistryService({ db: database.db, clock });
    importer = new PersonImportService({ db: database.db, clock, registry });
  };
  const count = async (): Promise<number> =>
    (await database.db.selectFrom('persons').select((eb) => eb.fn.countAll<number>().as('n')).executeTakeFirstOrThrow()).n;

  beforeEach(async () => {
    database = await createTestDatabase('sqlite');
    useClock('2026-12-04T05:00:00Z');
  });
  afterEach(async () => {
    await database.close();
  });

  describe('free text', () => {
    it.each([
      ['fullName', 'Nguyễn\u202EAn', 'TEXT_FORMAT_CHARACTER'],
      ['fullName', 'Nguyễn\u200FAn', 'TEXT_FORMAT_CHARACTER'],
      ['fullName', 'Nguyễn\tAn', 'TEXT_CONTROL_CHARACTER'],
      ['currentAddress', 'Số 5\u0000 ngõ 12', 'TEXT_CONTROL_CHARACTER'],
      ['currentAddress', 'Số 5 \u2066ngõ\u2069 12', 'TEXT_FORMAT_CHARACTER'],
      ['permanentAddress', 'Số 5 \u001b[31m', 'TEXT_CONTROL_CHARACTER'],
      ['hometown', 'Huế\uD800', 'TEXT_UNPAIRED_SURROGATE'],
      ['ethnicity', 'Kinh\u0085', 'TEXT_CONTROL_CHARACTER'],
      ['religion', 'Phật\uFFFD', 'TEXT_REPLACEMENT_CHARACTER'],
      ['currentAddress', '=HYPERLINK("http://x","y")', 'TEXT_FORMULA_START'],
    ])('refuses %s holding %j with %s, naming the field and not echoing the value', async (field, value, code) => {
      const error = await refusal(() => registry.register(registration(1, { [field]: value })));
      expect(error).toMatchObject({ kind: 'invalid', code, details: { field } });
      expect(error.message).toContain(field);
      expect(error.message).not.toContain(value);
      expect(await count()).toBe(0);
    });

    it('answers 400 problem+json on POST /api/persons and on a life event, naming the field, never the value', async () => {
      const app = Fastify();
      registerErrorHandler(app);
      // a clerk of the whole nation, as the /api authentication hook would set it
      app.decorateRequest('actor', null);
      app.addHook('onRequest', (request, _reply, done) => {
        request.actor = { kind: 'officer', id: 'OFF-1', role: 'registry_clerk', unit: { level: 'nation' }, active: true };
        done();
      });
      await app.register(personRoutes, { prefix: '/api', registry, today: () => '2026-12-04', ties: personTiesResolver(), reads: { record: () => Promise.resolve() } });
      try {
        const value = 'Trần\u202Egnod';
        const born = await app.inject({ method: 'POST', url: '/api/persons', payload: { ...registration(11), facts: { ...facts, fullName: value } } });
        expect(born.statusCode).toBe(400);
        expect(born.headers['content-type']).toMatch(/^application\/problem\+json/u);
        expect(born.json()).toMatchObject({ code: 'TEXT_FORMAT_CHARACTER', errors: [{ field: 'fullName' }] });
        expect(born.body).not.toContain('gnod');
        expect((await app.inject({ method: 'POST', url: '/api/persons', payload: registration(12) })).statusCode).toBe(201);
        const moved = await app.inject({ method: 'POST', url: '/api/persons/001085000012/events', payload: { type: 'residence_change', occurredOn: '2099-01-01', officerId: null, reason: null, data: { currentAddress: 'Số 9' } } });
        expect(moved.statusCode).toBe(400);
        expect(moved.json()).toMatchObject({ code: 'DATE_IN_FUTURE', errors: [{ field: 'occurredOn' }] });
      } finally {
        await app.close();
      }
    });

    it('keeps Vietnamese with marks, and stores decomposed input in NFC', async () => {
      const nfd = 'Nguyễn Thị Ánh Tuyết'.normalize('NFD');
      const person = await registry.register(registration(2, { fullName: nfd, currentAddress: 'Thôn Đồng Xuân, xã Phú Lộc'.normalize('NFD'), hometown: '- (không rõ)' }));
      expect(person.fullName).toBe('Nguyễn Thị Ánh Tuyết'.normalize('NFC'));
      expect(person.currentAddress).toBe('Thôn Đồng Xuân, xã Phú Lộc'.normalize('NFC'));
      expect(person.hometown).toBe('- (không rõ)');
    });

    it('refuses the same characters in a life event: its facts, reason and extra data', async () => {
      await registry.register(registration(3));
      const event = { personId: '001085000003', type: 'residence_change' as const, occurredOn: '2026-12-02', officerId: 'OFF-1', reason: null };
      expect(await refusal(() => registry.recordEvent({ ...event, data: { currentAddress: 'abc\u202Edef' } }))).toMatchObject({ code: 'TEXT_FORMAT_CHARACTER', details: { field: 'currentAddress' } });
      expect(await refusal(() => registry.recordEvent({ ...event, reason: 'moved\u0000', data: { currentAddress: 'Số 7' } }))).toMatchObject({ code: 'TEXT_CONTROL_CHARACTER', details: { field: 'reason' } });
      expect(await refusal(() => registry.recordEvent({ ...event, type: 'id_issuance', data: { card: { place: 'Cục\u2067CS' } } }))).toMatchObject({ code: 'TEXT_FORMAT_CHARACTER', details: { field: 'card.place' } });
      const events = await registry.personEvents('001085000003');
      expect(events).toHaveLength(1);
    });
  });

  describe('dates after today (in Viet Nam)', () => {
    it('refuses a registration or a life event dated 2099', async () => {
      expect(await refusal(() => registry.register(registration(4, {}, '2099-01-01')))).toMatchObject({ code: 'DATE_IN_FUTURE', details: { field: 'occurredOn' } });
      expect(await refusal(() => registry.register({ ...registration(5, {}, '2099'), type: 'birth_registration' }))).toMatchObject({ code: 'DATE_IN_FUTURE' });
      expect(await refusal(() => registry.register(registration(6, { birthDate: '2099-05-01' })))).toMatchObject({ code: 'DATE_IN_FUTURE', details: { field: 'birthDate' } });
      await registry.register(registration(7));
      const error = await refusal(() => registry.recordEvent({ personId: '001085000007', type: 'residence_change', occurredOn: '2099-12-31', officerId: null, reason: null, data: { currentAddress: 'Số 9' } }));
      expect(error).toMatchObject({ code: 'DATE_IN_FUTURE' });
      expect(error.message).not.toContain('2099');
      expect(await count()).toBe(1);
    });

    it('takes "today" in Viet Nam: a birth at 01:00 local time (18:00 UTC the day before) is not in the future', async () => {
      useClock('2026-12-03T18:00:00Z');
      const child = await registry.register({
        type: 'birth_registration', occurredOn: '2026-12-04', officerId: 'OFF-1', reason: null,
        facts: { fullName: 'Trần Minh Khang', birthDate: '2026-12-04', sex: 'M', birthProvince: '001' },
      });
      expect(child.birthDate).toBe('2026-12-04');
      expect(await refusal(() => registry.register(registration(8, {}, '2026-12-05')))).toMatchObject({ code: 'DATE_IN_FUTURE' });
    });

    it('still refuses impossible dates', async () => {
      expect(await refusal(() => registry.register(registration(9, { birthDate: '1985-02-30' })))).toMatchObject({ code: 'DATE_INVALID', details: { field: 'birthDate' } });
      expect(await refusal(() => registry.register(registration(9, {}, '2026-11-31')))).toMatchObject({ code: 'DATE_INVALID' });
    });

    it('rejects an imported row born after today, and imports the others', async () => {
      const report = await importer.run([row(1), row(2, { birth_date: '2099-01-01' })], { importId: 'future', batchSize: 10, officerId: null });
      expect(report).toMatchObject({ accepted: 1, rejected: 1 });
      expect(report.rejections).toEqual([{ rowNumber: 2, code: 'DATE_IN_FUTURE', field: 'birth_date', message: expect.any(String) as string }]);
    });
  });

  describe('NDJSON and CSV import', () => {
    it('rejects a row nested 10,000 deep by its line and code, and imports the rest', async () => {
      const deep = `{"id_number":"001085000002","ghi_chu":${'['.repeat(10_000)}${']'.repeat(10_000)}}`;
      const path1 = file('.ndjson', [ndjsonLine(1), deep, ndjsonLine(3)].join('\n'));
      const report = await importer.run((await readPersonFile(path1)).rows, { importId: 'deep', batchSize: 10, officerId: null });
      expect(report).toMatchObject({ rowsRead: 3, accepted: 2, rejected: 1 });
      expect(report.rejections).toEqual([{ rowNumber: 2, code: 'NDJSON_LINE_MALFORMED', message: expect.stringContaining('(line 2)') as string }]);
      expect(await count()).toBe(2);
    });

    it('rejects a row with bytes that are not UTF-8 by its line, and imports the rows around it', async () => {
      const bad = Buffer.from('{"id_number":"001085000002","full_name":"Tr\xe7n V\xe3n"}', 'latin1');
      const lines = [Buffer.from(`${ndjsonLine(1)}\n`), bad, Buffer.from(`\n${Array.from({ length: 30 }, (_, i) => ndjsonLine(i + 3)).join('\n')}\n`)];
      const ndjson = file('.ndjson', Buffer.concat(lines));
      const report = await importer.run((await readPersonFile(ndjson)).rows, { importId: 'utf8', batchSize: 10, officerId: null });
      expect(report).toMatchObject({ rowsRead: 32, accepted: 31, rejected: 1 });
      expect(report.rejections).toEqual([{ rowNumber: 2, code: 'ROW_ENCODING_INVALID', message: expect.stringContaining('(line 2)') as string }]);

      const header = 'id_number,full_name,birth_date,sex,birth_province\n';
      const good = (serial: number): string => `001085${String(serial).padStart(6, '0')},Lê Thị Hoa,1985-03-04,M,001\n`;
      const csv = file('.csv', Buffer.concat([
        Buffer.from(header + good(101)), Buffer.from('001085000102,Tr\xe7n V\xe3n,1985-03-04,M,001\n', 'latin1'),
        Buffer.from(Array.from({ length: 30 }, (_, i) => good(103 + i)).join('')),
      ]));
      const csvReport = await importer.run((await readPersonFile(csv)).rows, { importId: 'utf8-csv', batchSize: 10, officerId: null });
      expect(csvReport).toMatchObject({ rowsRead: 32, accepted: 31, rejected: 1 });
      expect(csvReport.rejections).toEqual([{ rowNumber: 2, code: 'ROW_ENCODING_INVALID', message: expect.stringContaining('(line 3)') as string }]);
    });

    it('reports true counts when a wholly rejected file is run again', async () => {
      const rows = [1, 2, 3, 4, 5].map((n) => row(n));
      await importer.run(rows, { importId: 'earlier', batchSize: 10, officerId: null });
      expect(await count()).toBe(5);
      // The same people again under another import: every row is refused, nothing is written.
      const first = await importer.run(rows, { importId: 'again', batchSize: 10, officerId: null });
      expect(first).toMatchObject({ accepted: 0, rejected: 5, batchesCommitted: 1, batchesSkipped: 0 });
      const rerun = await importer.run(rows, { importId: 'again', batchSize: 10, officerId: null });
      expect(rerun).toMatchObject({ accepted: 0, rejected: 5, acceptedEarlier: 0, rejectedEarlier: 5, batchesCommitted: 0, batchesSkipped: 1 });
      expect(await count()).toBe(5);
    });

    it('keeps personal data out of every rejection: row number, column and code only', async () => {
      await importer.run([row(50)], { importId: 'seed', batchSize: 10, officerId: null });
      const rows: ImportRow[] = [
        row(1, { sex: 'F' }), // ID_SEX_MISMATCH
        row(2, { birth_date: '1992-07-19' }), // the ID's year disagrees
        row(3, { current_commune: '77777' }),
        row(4, { birth_date: '1985-02-30' }),
        row(5, { id_number: '0010850000X5' }),
        row(50),
        row(6, { full_name: 'Phạm\u202EHùng' }),
        row(7, { birth_province: '999' }),
      ];
      const report = await importer.run(rows, { importId: 'no-pii', batchSize: 10, officerId: null });
      expect(report.rejected).toBe(8);
      const text = JSON.stringify(report);
      for (const secret of ['001085', '1992-07-19', '77777', '1985-02-30', '0010850000X5', 'Phạm', '999']) expect(text).not.toContain(secret);
      expect(report.rejections.map((r) => [r.rowNumber, r.field])).toEqual([
        [1, 'id_number'], [2, 'id_number'], [3, 'current_commune'], [4, 'birth_date'], [5, 'id_number'], [6, 'full_name'], [7, 'birth_province'], [50, 'id_number'],
      ]);
    });
  });
});
