import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { generatePopulation } from '../registry/population.generator.js';
import { generateMessyAgencyFile, messyErrorKinds } from './messy-agency-file.generator.js';
import { duckDbReconcileEngine, sniffDelimiter } from './reconcile.engine.js';
import { evaluateByErrorKind, evaluateResults } from './reconcile.evaluation.js';
import { reconcilePresets, withHeaderAliases } from './reconcile.presets.js';
import { readSnapshotPersons, writeSnapshot, type SnapshotPersonWithCard } from './registry-snapshot.engine.js';

const today = '2026-01-01';
let dir: string;
let snapshotDir: string;
let persons: SnapshotPersonWithCard[];

beforeAll(async () => {
  dir = mkdtempSync(path.join(tmpdir(), 'sachsong-messy-'));
  snapshotDir = path.join(dir, 'snapshot');
  function* pages(): Generator<SnapshotPersonWithCard[]> {
    for (const batch of generatePopulation({ people: 20_000, seed: 21, today })) yield batch.persons.map((p) => ({ ...p, old_card: null }));
  }
  await writeSnapshot(snapshotDir, pages(), 'messy-test');
  persons = await readSnapshotPersons(snapshotDir);
}, 120_000);

afterAll(() => {
  rmSync(dir, { recursive: true, force: true });
});

describe('reading what real agency files hold', () => {
  it('sniffs the delimiter and finds columns under Vietnamese headers', () => {
    expect(sniffDelimiter('STT;Số CCCD;"Họ, tên";Ngày sinh')).toBe(';');
    expect(sniffDelimiter('a,b,"c;d"')).toBe(',');
    expect(sniffDelimiter('a\tb\tc')).toBe('\t');
    const preset = withHeaderAliases(reconcilePresets.telecom, ['STT', 'Số CCCD', 'HỌ VÀ TÊN', 'Ngày sinh', 'Giới tính', 'Số thuê bao']);
    expect(preset.columns).toMatchObject({ record: 'STT', id: 'Số CCCD', name: 'HỌ VÀ TÊN', birth: 'Ngày sinh', sex: 'Giới tính', line: 'Số thuê bao' });
    // A mapped column the file has is kept.
    expect(withHeaderAliases(reconcilePresets.tax, ['id_number', 'Số CCCD', 'taxpayer_name']).columns.id).toBe('id_number');
  });
});

describe('a messy file the matcher was not written for', () => {
  it.each(['tax', 'telecom'] as const)('%s: pairwise precision ≥ 0.999 and F1 ≥ 0.99, every kind of damage present', async (name) => {
    const file = path.join(dir, `${name}.csv`);
    const truth = path.join(dir, `${name}.truth.csv`);
    const generated = generateMessyAgencyFile(persons, { preset: name, rows: 8_000, seed: 4, file, truthFile: truth });
    for (const kind of messyErrorKinds) expect(generated.errors[kind] ?? 0, kind).toBeGreaterThan(0);
    expect(generated.severalErrors).toBeGreaterThan(500);
    const head = readFileSync(file, 'utf8').slice(0, 200);
    expect(head.split('\n')[0]).toContain('Họ và tên;');
    const results = path.join(dir, `${name}.results.csv`);
    const summary = await duckDbReconcileEngine.run({ input: file, preset: reconcilePresets[name], snapshotDir, resultsPath: results, today });
    expect(summary.rows).toBe(8_000);
    expect(summary.badRows).toBe(0);
    const evaluation = await evaluateResults(results, truth);
    expect(evaluation.pairwise.precision).toBeGreaterThanOrEqual(0.999);
    expect(evaluation.pairwise.f1).toBeGreaterThanOrEqual(0.99);
    const kinds = await evaluateByErrorKind(results, truth);
    // Invented persons are never linked; each kind of damage to a real person's row is mostly seen through.
    expect(kinds.invented_person?.linkedWrong).toBe(0);
    for (const kind of messyErrorKinds.filter((k) => k !== 'invented_person')) {
      expect(kinds[kind]?.recall ?? 0, kind).toBeGreaterThanOrEqual(0.9);
    }
  }, 120_000);
});
