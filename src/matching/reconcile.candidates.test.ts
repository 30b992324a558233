import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { parse } from 'csv-parse/sync';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { generatePopulation } from '../registry/population.generator.js';
import { candidateBands, decideCandidates, scoreCandidate } from './reconcile.candidates.js';
import { duckDbReconcileEngine } from './reconcile.engine.js';
import { reconcilePresets, type PresetName } from './reconcile.presets.js';
import { DuckDBInstance } from '@duckdb/node-api';
import { snapshotFiles, snapshotNameKeysTable, sqlText, writeSnapshot, type SnapshotPersonWithCard } from './registry-snapshot.engine.js';
import { foldName } from '../shared/vietnamese-text.js';

const today = '2026-01-01';
let dir: string;
let snapshotDir: string;

function person(id: string, name: string, birth: string, sex: 'M' | 'F' = 'M'): SnapshotPersonWithCard {
  return {
    id_number: id, full_name: name, name_folded: foldName(name), birth_date: birth, sex, status: 'alive', death_date: null,
    current_commune: null, permanent_commune: null, old_card: null,
  };
}

// Persons written for the cases below (IDs: Hà Nội 001, century digit 0/1 for men/women born 19xx).
const hoKimQuynh = person('001190099901', 'Hồ Kim Quỳnh', '1990-05-02', 'F');
const tranVanBinh = person('001085099902', 'Trần Văn Bình', '1985-11-23');
// One digit away from Trần Văn Bình's number: a keying error that lands on a real person.
const leVanHoa = person('001085099912', 'Lê Văn Hòa', '1985-03-14');
const baoLe = person('001070099903', 'Nguyễn Bảo Lễ', '1970-07-07');
const diu = person('001172099904', 'Ngô Thị Dịu', '1972-02-02', 'F');
const partialYear = person('001043099905', 'Phạm Văn Tư', '1943');
const partialMonth = person('001050099906', 'Đỗ Văn Năm', '1950-05');
// Two persons with the same name and birth date (namesakes): a row without a usable ID is ambiguous.
const twinA = person('001095099907', 'Vũ Minh Đức', '1995-09-09');
const twinB = person('001095099908', 'Vũ Minh Đức', '1995-09-09');
const huynh = person('001088099909', 'Huỳnh Thị Mai', '1988-08-18', 'F');
const written = [hoKimQuynh, tranVanBinh, leVanHoa, baoLe, diu, partialYear, partialMonth, twinA, twinB, huynh];

beforeAll(async () => {
  dir = mkdtempSync(path.join(tmpdir(), 'sachsong-candidates-'));
  snapshotDir = path.join(dir, 'snapshot');
  const ids = new Set(written.map((p) => p.id_number));
  function* pages(): Generator<SnapshotPersonWithCard[]> {
    for (const batch of generatePopulation({ people: 400, seed: 7, today })) {
      yield batch.persons.filter((p) => !ids.has(p.id_number)).map((p) => ({ ...p, old_card: null }));
    }
    yield written;
  }
  await writeSnapshot(snapshotDir, pages(), 'candidates-test');
}, 60_000);

afterAll(() => {
  rmSync(dir, { recursive: true, force: true });
});

interface Row {
  readonly record: string;
  readonly status: string;
  readonly reason: string;
  readonly linked_id: string;
  readonly suggested_id: string;
  readonly match_score: string;
  readonly mismatch_fields: string;
}

let files = 0;

/**
 * Reconciles each row in a file of its own (rows about one person would otherwise be repeats of
 * each other); the first line is the header. Results by record number.
 */
async function reconcile(preset: PresetName, csv: string): Promise<Map<string, Row>> {
  const [header, ...lines] = csv.split('\n');
  const out = new Map<string, Row>();
  for (const line of lines) {
    const file = path.join(dir, `${preset}-${String(++files)}.csv`);
    writeFileSync(file, `${header ?? ''}\n${line}\n`);
    const results = `${file}.results.csv`;
    await duckDbReconcileEngine.run({ input: file, preset: reconcilePresets[preset], snapshotDir, resultsPath: results, today });
    for (const r of parse<Row>(readFileSync(results), { columns: true })) out.set(r.record, r);
  }
  return out;
}

describe('the candidate search when the ID fails', () => {
  it('finds the person behind a mistyped digit, two swapped digits, a letter, or no ID at all', async () => {
    const id = tranVanBinh.id_number;
    const rows = await reconcile('tax', [
      'tax_record_no,id_number,taxpayer_name,birth_date',
      `T1,${id.slice(0, 8)}7${id.slice(9)},Trần Văn Bình,23/11/1985`, // one digit wrong: 001085097902, nobody's
      `T2,${id.slice(0, 9)}${id[10] ?? ''}${id[9] ?? ''}${id.slice(11)},Trần Văn Bình,23/11/1985`, // two digits swapped
      `T3,${id.slice(0, 5)}O${id.slice(6)},Trần Văn Bình,23/11/1985`, // a letter O for a zero
      'T4,,Trần Văn Bình,23/11/1985', // no ID
      `T5,${id.slice(0, 8)}7${id.slice(9)},Trần Văn Bính,23/11/1985`, // and a typo in the name
      `T6,${id.slice(0, 8)}7${id.slice(9)},Trần Văn Bình,23/11/1984`, // and a typo in the year
    ].join('\n'));
    for (const record of ['T1', 'T2', 'T3', 'T4', 'T5', 'T6']) {
      const row = rows.get(record);
      expect(row?.status, record).toBe('PROBABLE_MATCH');
      expect(row?.linked_id, record).toBe(id);
      expect(row?.suggested_id, record).toBe(id);
      expect(Number(row?.match_score), record).toBeGreaterThanOrEqual(candidateBands.probable);
    }
    // The reason still says what was wrong with the ID.
    expect(rows.get('T1')?.reason).toBe('id_not_in_registry');
    expect(rows.get('T3')?.reason).toBe('id_malformed');
    expect(rows.get('T4')?.reason).toBe('id_missing');
  });

  it('finds the right person when the mistyped ID is another real person\'s', async () => {
    // Lê Văn Hòa's number is Trần Văn Bình's with one digit changed; rows for Bình carrying it.
    const rows = await reconcile('tax', [
      'tax_record_no,id_number,taxpayer_name,birth_date',
      `T1,${leVanHoa.id_number},Trần Văn Bình,23/11/1985`,
      `T2,${leVanHoa.id_number},Trần Văn Bình,1985`,
      // Three digits away from Bình's: not a keying error, so only suggested for review.
      `T3,001085097812,Trần Văn Bình,23/11/1985`,
    ].join('\n'));
    expect(rows.get('T1')).toMatchObject({ status: 'PROBABLE_MATCH', reason: 'id_other_person', linked_id: tranVanBinh.id_number });
    expect(rows.get('T2')).toMatchObject({ status: 'PROBABLE_MATCH', reason: 'id_other_person', linked_id: tranVanBinh.id_number });
    expect(rows.get('T3')).toMatchObject({ status: 'CLERICAL_REVIEW', suggested_id: tranVanBinh.id_number, linked_id: '' });
  });

  it('reads a name written given-name-first with the ID as the same person', async () => {
    const rows = await reconcile('tax', [
      'tax_record_no,id_number,taxpayer_name,birth_date',
      `T1,${hoKimQuynh.id_number},Quỳnh Hồ Kim,02/05/1990`,
      `T2,${hoKimQuynh.id_number},QUYNH HO KIM,02/05/1990`,
      `T3,001190099991,Quỳnh Hồ Kim,02/05/1990`, // and a mistyped ID
    ].join('\n'));
    expect(rows.get('T1')).toMatchObject({ status: 'MISMATCH', linked_id: hoKimQuynh.id_number, mismatch_fields: 'full_name' });
    expect(rows.get('T2')).toMatchObject({ status: 'MISMATCH', linked_id: hoKimQuynh.id_number });
    expect(rows.get('T3')).toMatchObject({ status: 'PROBABLE_MATCH', linked_id: hoKimQuynh.id_number });
  });

  it('does not take a different name with the same birth date for the ID holder', async () => {
    const rows = await reconcile('tax', [
      'tax_record_no,id_number,taxpayer_name,birth_date',
      `T1,${baoLe.id_number},Nguyễn Nhật Nguyên,07/07/1970`,
      `T2,${diu.id_number},Nguyễn Thị Thoa,02/02/1972`,
      `T3,${baoLe.id_number},Nguyễn Bảo Lê,07/07/1970`, // a lost mark on the given name is still Lễ
    ].join('\n'));
    // The ID and the birth date agree, the name does not: at most a suggestion for an officer, never a link.
    for (const record of ['T1', 'T2']) {
      expect(rows.get(record), record).toMatchObject({ reason: 'id_other_person', linked_id: '' });
      expect(rows.get(record)?.status, record).not.toBe('PROBABLE_MATCH');
    }
    expect(rows.get('T3')).toMatchObject({ status: 'MISMATCH', linked_id: baoLe.id_number });
  });

  it('reads partial birth dates in the tax and telecom formats and compares them with the registry\'s', async () => {
    const tax = await reconcile('tax', [
      'tax_record_no,id_number,taxpayer_name,birth_date',
      `T1,${partialYear.id_number},Phạm Văn Tư,1943`,
      `T2,${partialMonth.id_number},Đỗ Văn Năm,05/1950`,
      `T3,${partialMonth.id_number},Đỗ Văn Năm,00/05/1950`,
      `T4,${partialYear.id_number},Phạm Văn Tư,00/00/1943`,
      `T5,${partialMonth.id_number},Đỗ Văn Năm,1950`, // less precise than the registry: a difference
    ].join('\n'));
    expect(tax.get('T1')?.status).toBe('MATCHED');
    expect(tax.get('T2')?.status).toBe('MATCHED');
    expect(tax.get('T3')?.status).toBe('MATCHED');
    expect(tax.get('T4')?.status).toBe('MATCHED');
    expect(tax.get('T5')).toMatchObject({ status: 'MISMATCH', mismatch_fields: 'birth_date' });
    const telecom = await reconcile('telecom', [
      'contract_no,subscriber_id,subscriber_name,birth_date,sex,msisdn',
      `C1,${partialYear.id_number},Phạm Văn Tư,1943,M,0900000001`,
      `C2,${partialMonth.id_number},Đỗ Văn Năm,1950-05,Nam,0900000002`,
    ].join('\n'));
    expect(telecom.get('C1')?.status).toBe('MATCHED');
    expect(telecom.get('C2')?.status).toBe('MATCHED');
  });

  it('sends namesakes to clerical review instead of choosing one, and leaves invented persons not found', async () => {
    const rows = await reconcile('tax', [
      'tax_record_no,id_number,taxpayer_name,birth_date',
      'T1,,Vũ Minh Đức,09/09/1995',
      'T2,001095099999,Hoàng Minh Đức,09/09/1995', // another surname, an unknown number
    ].join('\n'));
    expect(rows.get('T1')?.status).toBe('CLERICAL_REVIEW');
    expect([twinA.id_number, twinB.id_number]).toContain(rows.get('T1')?.suggested_id);
    expect(rows.get('T1')?.linked_id).toBe('');
    expect(rows.get('T2')).toMatchObject({ status: 'NOT_FOUND', suggested_id: '' });
  });

  it('restores a leading zero lost in a spreadsheet, and reads sex as 1/0 or Nữ', async () => {
    const rows = await reconcile('telecom', [
      'contract_no,subscriber_id,subscriber_name,birth_date,sex,msisdn',
      `C1,${huynh.id_number.slice(1)},Huỳnh Thị Mai,18/08/1988,0,0900000001`,
      `C2,${huynh.id_number},Huỳnh Thị Mai,18/08/1988,${'Nữ'.normalize('NFD')},0900000002`,
      `C3,${huynh.id_number},${'Huỳnh Thị Mai'.normalize('NFD')},18/08/1988,F,0900000003`,
    ].join('\n'));
    expect(rows.get('C1')).toMatchObject({ status: 'MISMATCH', reason: 'id_leading_zero_lost', linked_id: huynh.id_number, mismatch_fields: 'id_number' });
    expect(rows.get('C2')).toMatchObject({ status: 'MATCHED', linked_id: huynh.id_number });
    expect(rows.get('C3')).toMatchObject({ status: 'MATCHED', linked_id: huynh.id_number });
  });
});

describe('snapshots without the name keys', () => {
  it('find the same candidates by computing the keys on the fly', async () => {
    const id = tranVanBinh.id_number;
    const csv = ['tax_record_no,id_number,taxpayer_name,birth_date', `T1,${id.slice(0, 8)}7${id.slice(9)},Bình Trần Văn,23/11/1985`, 'T2,,Vũ Minh Đức,09/09/1995'].join('\n');
    const before = await reconcile('tax', csv);
    const instance = await DuckDBInstance.create(path.join(snapshotDir, snapshotFiles.personsDatabase));
    const connection = await instance.connect();
    await connection.run(`DROP TABLE ${snapshotNameKeysTable}`);
    expect((await connection.runAndReadAll(`SELECT count(*) FROM duckdb_tables() WHERE table_name = ${sqlText(snapshotNameKeysTable)}`)).getRowsJS()[0]?.[0]).toBe(0n);
    connection.closeSync();
    instance.closeSync();
    const after = await reconcile('tax', csv);
    expect(before.get('T1')).toMatchObject({ status: 'PROBABLE_MATCH', linked_id: id });
    expect([...after.values()].map((r) => [r.status, r.linked_id, r.suggested_id])).toEqual([...before.values()].map((r) => [r.status, r.linked_id, r.suggested_id]));
  });
});

describe('candidate scores and decisions', () => {
  const row = { id: '', name: 'Trần Văn Bình', birth: '1985-11-23', sex: null };
  it('scores agreement high and disagreement low, with the verify comparators', () => {
    const same = scoreCandidate(row, { id: tranVanBinh.id_number, name: 'Trần Văn Bình', birth: '1985-11-23', sex: 'M' });
    expect(same).toMatchObject({ name: 'exact', birth: 'exact', id: 'missing' });
    expect(same.score).toBeGreaterThan(candidateBands.probable);
    const other = scoreCandidate(row, { id: tranVanBinh.id_number, name: 'Trần Văn Long', birth: '1985-11-23', sex: 'M' });
    expect(other.name).toBe('different');
    expect(other.weight).toBeLessThan(same.weight - 10);
    // A year alone says nothing against a full date of that year.
    expect(scoreCandidate({ ...row, birth: '1985' }, { id: tranVanBinh.id_number, name: 'Trần Văn Bình', birth: '1985-11-23', sex: 'M' }).birth).toBe('missing');
    // Whole-name Jaro-Winkler calls these close (0.92); the given names say they are two persons.
    const lookalike = scoreCandidate({ id: '', name: 'Nguyễn Phương Hà', birth: '2018-03-17', sex: null }, { id: '026318545811', name: 'Nguyễn Thu Nhạn', birth: '2018-03-17', sex: 'F' });
    expect(lookalike.givenName).toBe(false);
    expect(decideCandidates([{ ...lookalike, personId: 'x' }])).toBeUndefined();
    expect(scoreCandidate({ ...row, name: 'Bình Trần Văn' }, { id: tranVanBinh.id_number, name: 'Trần Văn Bình', birth: '1985-11-23', sex: 'M' }).givenName).toBe(true);
    expect(scoreCandidate({ ...row, name: 'Trần Bình' }, { id: tranVanBinh.id_number, name: 'Trần Văn Bình', birth: '1985-11-23', sex: 'M' }).givenName).toBe(true);
    const swapped = scoreCandidate({ ...row, id: '001085099920' }, { id: tranVanBinh.id_number, name: tranVanBinh.full_name, birth: tranVanBinh.birth_date, sex: 'M' });
    expect(swapped.id).toBe('close');
  });

  it('reads 1 January as an unknown day and month: links when the ID points at the person, and nothing without it', () => {
    const holder = { id: tranVanBinh.id_number, name: 'Trần Văn Bình', birth: '1985-11-23', sex: 'M' } as const;
    const placeholder = scoreCandidate({ id: tranVanBinh.id_number, name: 'Trần Văn Bìnhh', birth: '1985-01-01', sex: null }, holder);
    expect(placeholder.birth).toBe('missing');
    expect(decideCandidates([{ ...placeholder, personId: holder.id }])?.status).toBe('PROBABLE_MATCH');
    // One keying error in the ID still points at the person.
    const typo = scoreCandidate({ id: '001085099932', name: 'Trần Văn Bình', birth: '1985-01-01', sex: null }, holder);
    expect(decideCandidates([{ ...typo, personId: holder.id }])?.status).toBe('PROBABLE_MATCH');
    // Another year is a different date; without the ID the placeholder is no evidence: nothing.
    expect(scoreCandidate({ ...row, id: tranVanBinh.id_number, birth: '1986-01-01' }, holder).birth).toBe('different');
    const noId = scoreCandidate({ ...row, birth: '1985-01-01' }, holder);
    expect(decideCandidates([{ ...noId, personId: holder.id }])).toBeUndefined();
    // A real 1 January birth date still agrees exactly.
    expect(scoreCandidate({ ...row, birth: '1985-01-01' }, { ...holder, birth: '1985-01-01' }).birth).toBe('exact');
  });

  it('never links on a valid but different ID, a different name, or a close runner-up', () => {
    const best = { weight: 30, score: 1, name: 'exact', birth: 'exact', id: 'different', givenName: true, personId: 'a' } as const;
    expect(decideCandidates([best])?.status).toBe('CLERICAL_REVIEW');
    expect(decideCandidates([{ ...best, id: 'close' }])?.status).toBe('PROBABLE_MATCH');
    expect(decideCandidates([{ ...best, id: 'close', name: 'different' }])?.status).toBe('CLERICAL_REVIEW');
    expect(decideCandidates([{ ...best, id: 'close' }, { ...best, weight: 28, personId: 'b' }])?.status).toBe('CLERICAL_REVIEW');
    expect(decideCandidates([{ ...best, id: 'close' }, { ...best, weight: 20, personId: 'b' }])).toEqual({ status: 'PROBABLE_MATCH', personId: 'a', score: 1 });
    expect(decideCandidates([{ ...best, id: 'close', givenName: false }])?.status).toBe('CLERICAL_REVIEW');
    expect(decideCandidates([{ ...best, weight: 1, score: 0.6 }])).toBeUndefined();
    // A different name and an ID that does not point at the person: not even a suggestion.
    expect(decideCandidates([{ ...best, name: 'different', id: 'missing', score: 0.99 }])).toBeUndefined();
    expect(decideCandidates([{ ...best, name: 'different', id: 'exact', score: 0.99 }])?.status).toBe('CLERICAL_REVIEW');
    // A name alone, with no birth date that agrees and an ID that does not point at the person: nothing.
    expect(decideCandidates([{ ...best, birth: 'missing', id: 'different', score: 0.99 }])).toBeUndefined();
    expect(decideCandidates([{ ...best, birth: 'missing', id: 'close', score: 0.99 }])?.status).toBe('CLERICAL_REVIEW');
    expect(decideCandidates([])).toBeUndefined();
  });
});
