import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { DuckDBInstance } from '@duckdb/node-api';
import { parse } from 'csv-parse/sync';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { generatePopulation } from '../registry/population.generator.js';
import { duckDbReconcileEngine, maxRejectsInline, rejectedBeforeSql } from './reconcile.engine.js';
import { reconcilePresets } from './reconcile.presets.js';
import { ensureSnapshotDatabase, readSnapshotPersons, snapshotFiles, writeSnapshot, type SnapshotPersonWithCard } from './registry-snapshot.engine.js';

const today = '2026-01-01';
let dir: string;
let snapshotDir: string;
let persons: SnapshotPersonWithCard[];

beforeAll(async () => {
  dir = mkdtempSync(path.join(tmpdir(), 'sachsong-reconcile-engine-'));
  snapshotDir = path.join(dir, 'snapshot');
  function* pages(): Generator<SnapshotPersonWithCard[]> {
    for (const batch of generatePopulation({ people: 300, seed: 3, today })) yield batch.persons.map((p) => ({ ...p, old_card: null }));
  }
  await writeSnapshot(snapshotDir, pages(), 'engine-test');
  persons = await readSnapshotPersons(snapshotDir);
}, 60_000);

afterAll(() => {
  rmSync(dir, { recursive: true, force: true });
});

describe('rejectedBeforeSql', () => {
  it('counts the rejected lines before each read row, as a brute-force count does', async () => {
    const instance = await DuckDBInstance.create(':memory:');
    const connection = await instance.connect();
    try {
      // Runs of consecutive bad lines give equal values; the first line of the file may be bad too.
      for (const okBefore of [[], [0], [0, 0, 3], [2, 2, 2, 7, 9, 9, 40], Array.from({ length: 37 }, (_, i) => Math.floor(i * 1.7))]) {
        const rows = (await connection.runAndReadAll(`SELECT rn, ${rejectedBeforeSql('rn', okBefore)} FROM range(1, 80) t(rn) ORDER BY rn`)).getRowsJS();
        for (const [rn, n] of rows) expect(Number(n), `rn ${Number(rn)} of ${JSON.stringify(okBefore)}`).toBe(okBefore.filter((v) => v < Number(rn)).length);
      }
    } finally {
      connection.closeSync();
      instance.closeSync();
    }
  });
});

describe('the DuckDB engine', () => {
  it('numbers lines right with more rejected lines than the inline search handles (the ASOF join)', async () => {
    const p = persons.find((x) => x.status === 'alive' && x.birth_date.length === 10) as SnapshotPersonWithCard;
    const birth = `${p.birth_date.slice(8, 10)}/${p.birth_date.slice(5, 7)}/${p.birth_date.slice(0, 4)}`;
    const lines = ['tax_record_no,id_number,taxpayer_name,birth_date'];
    const good = new Set<number>();
    for (let i = 0; i < maxRejectsInline * 2; i++) {
      // Every third line is readable, the others have a missing column.
      if (i % 3 === 0) {
        lines.push(`R${String(i)},${p.id_number},${p.full_name},${birth}`);
        good.add(lines.length);
      } else {
        lines.push(`R${String(i)},${p.id_number}`);
      }
    }
    const file = path.join(dir, 'many-bad.csv');
    writeFileSync(file, `${lines.join('\n')}\n`);
    const results = path.join(dir, 'many-bad.results.csv');
    const summary = await duckDbReconcileEngine.run({ input: file, preset: reconcilePresets.tax, snapshotDir, resultsPath: results, today });
    expect(summary.badRows).toBeGreaterThan(maxRejectsInline);
    const rows = parse<{ line: string; status: string; record: string }>(readFileSync(results), { columns: true });
    expect(rows.map((r) => Number(r.line))).toEqual(Array.from({ length: lines.length - 1 }, (_, i) => i + 2));
    for (const r of rows) {
      if (good.has(Number(r.line))) expect(r.record).toBe(`R${String(Number(r.line) - 2)}`);
      else expect(r.status).toBe('BAD_ROW');
    }
  }, 60_000);

  it('reads a snapshot written before persons.duckdb existed (Parquet only), and after the upgrade', async () => {
    expect(existsSync(path.join(snapshotDir, snapshotFiles.personsDatabase))).toBe(true);
    const parquetOnly = path.join(dir, 'parquet-only');
    await writeSnapshot(parquetOnly, [persons.slice(0, 50)], 'parquet-only');
    rmSync(path.join(parquetOnly, snapshotFiles.personsDatabase));
    const p = persons[0] as SnapshotPersonWithCard;
    const file = path.join(dir, 'one.csv');
    writeFileSync(file, `tax_record_no,id_number,taxpayer_name,birth_date\nT1,${p.id_number},${p.full_name},01/01/1900\n`);
    const results = path.join(dir, 'one.results.csv');
    const summary = await duckDbReconcileEngine.run({ input: file, preset: reconcilePresets.tax, snapshotDir: parquetOnly, resultsPath: results, today });
    expect(summary.statuses.MATCHED + summary.statuses.MISMATCH).toBe(1);
    // The upgrade adds it once, and the engine reads the same answer from it.
    expect(await ensureSnapshotDatabase(parquetOnly)).toBe(true);
    expect(await ensureSnapshotDatabase(parquetOnly)).toBe(false);
    const again = await duckDbReconcileEngine.run({ input: file, preset: reconcilePresets.tax, snapshotDir: parquetOnly, resultsPath: results, today });
    expect(again.statuses).toEqual(summary.statuses);
  });
});
