import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { linkFromConfig } from '../cli/matching.command.js';
import { isDomainError } from '../shared/domain-error.js';
import { estimateEm, initialM, PatternCounts } from './fellegi-sunter.js';
import type { FellegiSunterModel } from './fellegi-sunter.js';
import { parseLinkageConfig } from './linkage.config.js';
import { readLinkageTable, readLinkageTables } from './linkage-file.reader.js';
import { linkedPairsCsv } from './linkage-pairs.writer.js';
import { runLinkage } from './linkage.service.js';

// Public benchmark files kept in the repository (see test/fixtures/linkage/README.md).
const data = fileURLToPath(new URL('../../test/fixtures/linkage', import.meta.url));
const dir = mkdtempSync(path.join(tmpdir(), 'sachsong-linkage-'));
afterAll(() => {
  rmSync(dir, { recursive: true, force: true });
});

function codeOf(work: () => unknown): string | undefined {
  try {
    work();
  } catch (error) {
    return isDomainError(error) ? error.code : `not a DomainError: ${String(error)}`;
  }
  return undefined;
}

function caught(work: () => unknown): unknown {
  try {
    work();
  } catch (error) {
    return error;
  }
  return undefined;
}

/** Seeded PRNG for the synthetic EM check. */
function rng(seed: number): () => number {
  let a = seed;
  return () => {
    a = (a * 1103515245 + 12345) % 2147483648;
    return a / 2147483648;
  };
}

describe('Fellegi–Sunter EM', () => {
  it('recovers m and λ from comparison vectors drawn from a known model', () => {
    const truth = { prior: 0.2, m: [[0.9, 0.08, 0.02], [0.85, 0.15], [0.7, 0.2, 0.1]], u: [[0.02, 0.08, 0.9], [0.1, 0.9], [0.05, 0.15, 0.8]] };
    const draw = (probabilities: readonly number[], r: number): number => {
      let acc = 0;
      for (let level = 0; level < probabilities.length; level++) {
        acc += probabilities[level] ?? 0;
        if (r < acc) return level;
      }
      return probabilities.length - 1;
    };
    const random = rng(3);
    const patterns = new PatternCounts();
    for (let k = 0; k < 40_000; k++) {
      const match = random() < truth.prior;
      const table = match ? truth.m : truth.u;
      patterns.add(Int8Array.from(table, (p) => draw(p, random())));
    }
    const initial: FellegiSunterModel = {
      prior: 0.5,
      fields: truth.m.map((m, f) => ({ name: `f${f}`, levels: m.map((_, l) => `l${l}`), m: initialM(m.length), u: truth.u[f] ?? [] })),
    };
    const model = estimateEm(initial, patterns, { iterations: 200, tolerance: 1e-7 });
    expect(model.prior).toBeCloseTo(truth.prior, 1);
    model.fields.forEach((f, i) => {
      f.m.forEach((m, l) => {
        expect(Math.abs(m - (truth.m[i]?.[l] ?? 0))).toBeLessThan(0.03);
      });
    });
  });
});

describe('benchmark files kept in the repository', () => {
  it('reads every fixture with the row counts its source publishes', () => {
    const rows = (file: string): number => readLinkageTable({ path: `${data}/${file}` }).rows.length;
    expect(rows('febrl/dataset3.csv.gz')).toBe(5_000);
    expect(rows('febrl/dataset4a.csv.gz')).toBe(5_000);
    expect(rows('febrl/dataset4b.csv.gz')).toBe(5_000);
    expect(rows('fake_1000.csv.gz')).toBe(1_000);
    expect(rows('historical_figures_with_errors_50k.csv.gz')).toBe(50_578);
  });
});

describe('linkage engine', () => {
  it('links FEBRL 4a to 4b with pairwise F1 above 0.997, with per-field explanations', () => {
    const config = parseLinkageConfig({
      mode: 'link',
      left: { path: `${data}/febrl/dataset4a.csv.gz`, id: 'rec_id' },
      right: { path: `${data}/febrl/dataset4b.csv.gz`, id: 'rec_id' },
      comparisons: [
        { column: 'given_name', kind: 'jaro' },
        { column: 'surname', kind: 'jaro' },
        { column: 'date_of_birth', kind: 'date' },
        { column: 'soc_sec_id', kind: 'levenshtein', thresholds: [1, 2] },
        { column: 'street_number', kind: 'exact' },
        { column: 'address_1', kind: 'jaro' },
        { column: 'suburb', kind: 'jaro' },
        { column: 'postcode', kind: 'levenshtein', thresholds: [1] },
        { column: 'state', kind: 'exact' },
      ],
      blocking: [['soc_sec_id'], ['given_name', 'surname'], ['date_of_birth'], ['postcode', 'surname:first3'], ['suburb', 'given_name:first3']],
      oneToOne: true,
      randomPairs: 50_000,
      truth: { column: 'rec_id', pattern: '^rec-(\\d+)' },
    });
    const { left, right } = readLinkageTables(config);
    const result = runLinkage(config, left, right);
    expect(result.evaluation?.f1).toBeGreaterThan(0.997);
    // the prior is λ for two random records: 5,000 links among 25 million pairs
    expect(result.model.prior).toBeGreaterThan(5_000 / 25e6 / 3);
    expect(result.model.prior).toBeLessThan((5_000 / 25e6) * 3);
    const best = result.pairs[0];
    expect(best?.explanation.map((e) => e.field)).toEqual(['given_name', 'surname', 'date_of_birth', 'soc_sec_id', 'street_number', 'address_1', 'suburb', 'postcode', 'state']);
    const csv = linkedPairsCsv(result).split('\n');
    expect(csv[0]).toMatch(/^left_id,right_id,match_probability,match_weight,given_name,given_name_weight/);
    expect(csv.length - 2).toBe(result.pairs.length);
  }, 120_000);

  it('deduplicates fake_1000 with Vietnamese-aware names and term frequencies, and clusters', () => {
    const config = parseLinkageConfig({
      mode: 'dedupe',
      left: { path: `${data}/fake_1000.csv.gz`, id: 'unique_id' },
      comparisons: [
        { name: 'name', columns: ['first_name', 'surname'], kind: 'name', termFrequency: true },
        { column: 'dob', kind: 'date' },
        { column: 'city', kind: 'exact', termFrequency: true },
        { column: 'email', kind: 'levenshtein', thresholds: [2, 4] },
      ],
      blocking: [['first_name'], ['surname'], ['dob'], ['email']],
      truth: { column: 'cluster' },
    });
    const result = runLinkage(config, readLinkageTable(config.left));
    expect(result.evaluation?.truePairs).toBe(2_031);
    expect(result.evaluation?.f1).toBeGreaterThan(0.8);
    expect(result.clusterEvaluation?.clusters).toBeGreaterThan(150);
    expect(result.clusterOf?.length).toBe(1_000);
    // every pair is a pair of distinct records, listed once
    const seen = new Set(result.pairs.map((p) => `${p.leftId}|${p.rightId}`));
    expect(seen.size).toBe(result.pairs.length);
    expect(result.pairs.every((p) => p.leftId !== p.rightId && !seen.has(`${p.rightId}|${p.leftId}`))).toBe(true);
  }, 60_000);

  it('runs from a config file through the CLI function, paths relative to the config', () => {
    writeFileSync(path.join(dir, 'a.csv'), 'id,name,born\n1,Nguyễn Văn An,1990-01-02\n2,Trần Thị Bình,1985-07-08\n3,Lê Hoàng,1970\n');
    writeFileSync(path.join(dir, 'b.csv'), 'id,name,born\nx,NGUYEN VAN AN,02/01/1990\ny,Tran Thi Binh,08/07/1985\nz,Pham Minh,1999\n');
    writeFileSync(path.join(dir, 'link.json'), JSON.stringify({
      mode: 'link', left: { path: 'a.csv', id: 'id' }, right: { path: 'b.csv', id: 'id' },
      comparisons: [{ column: 'name', kind: 'name' }, { column: 'born', kind: 'date' }],
      blocking: [['name:sorted-name'], ['born:year']],
      randomPairs: 1_000, output: 'pairs.csv',
    }));
    const summary = linkFromConfig(path.join(dir, 'link.json'));
    expect(summary).toMatchObject({ mode: 'link', leftRecords: 3, rightRecords: 3 });
    const lines = readFileSync(path.join(dir, 'pairs.csv'), 'utf8').trim().split('\n');
    expect(lines[0]).toBe('left_id,right_id,match_probability,match_weight,name,name_weight,born,born_weight');
    expect(lines.slice(1).map((l) => l.split(',').slice(0, 2).join('-')).sort()).toEqual(['1-x', '2-y']);
  });

  it('refuses bad configs and files with stable codes', () => {
    expect(codeOf(() => parseLinkageConfig({ mode: 'link', left: { path: 'a.csv' }, comparisons: [], blocking: [] }))).toBe('LINKAGE_CONFIG_INVALID');
    expect(codeOf(() => parseLinkageConfig({ mode: 'dedupe', left: { path: 'a.csv' }, comparisons: [{ column: 'x', kind: 'soundex' }], blocking: [['x']] }))).toBe('LINKAGE_CONFIG_INVALID');
    expect(codeOf(() => parseLinkageConfig({ mode: 'dedupe', left: { path: 'a.csv' }, comparisons: [{ column: 'x', kind: 'exact' }], blocking: [['x:reverse']] }))).toBe('LINKAGE_CONFIG_INVALID');
    expect(codeOf(() => linkFromConfig(path.join(dir, 'missing.json')))).toBe('LINKAGE_CONFIG_UNREADABLE');
    expect(codeOf(() => readLinkageTable({ path: path.join(dir, 'nope.csv') }))).toBe('LINKAGE_FILE_UNREADABLE');
    writeFileSync(path.join(dir, 'broken.csv'), 'id,name\n1,An\n2,Binh,extra\n');
    expect(codeOf(() => readLinkageTable({ path: path.join(dir, 'broken.csv') }))).toBe('LINKAGE_FILE_INVALID');
    writeFileSync(path.join(dir, 'quotes.csv'), 'id,name\n1,"An\n');
    expect(codeOf(() => readLinkageTable({ path: path.join(dir, 'quotes.csv') }))).toBe('LINKAGE_FILE_INVALID');
    writeFileSync(path.join(dir, 'stray.csv'), 'id,name\n1,An\n2,Bi"nh\n');
    const stray = caught(() => readLinkageTable({ path: path.join(dir, 'stray.csv') }));
    expect(stray).toMatchObject({
      code: 'LINKAGE_FILE_INVALID',
      message: 'stray.csv is not valid CSV near line 3: a quote inside an unquoted field (put the whole field in quotes and double the quote)',
    });
    expect((caught(() => readLinkageTable({ path: 'stray.csv' }, dir)) as Error).message).toMatch(/^stray\.csv is not valid CSV near line 3: /u);
    writeFileSync(path.join(dir, 'plain.csv.gz'), 'id,name\n1,An\n');
    expect(caught(() => readLinkageTable({ path: path.join(dir, 'plain.csv.gz') }))).toMatchObject({ code: 'LINKAGE_FILE_UNREADABLE', message: 'cannot read plain.csv.gz: not a valid gzip file' });
    writeFileSync(path.join(dir, 'empty.csv'), '');
    expect(codeOf(() => readLinkageTable({ path: path.join(dir, 'empty.csv') }))).toBe('LINKAGE_FILE_EMPTY');
    const table = { header: ['id', 'name'], rows: [['1', 'An'], ['2', 'An'], ['3', 'An']] };
    const base = { mode: 'dedupe', left: { path: 'x.csv' }, comparisons: [{ column: 'name', kind: 'exact' }] };
    expect(codeOf(() => runLinkage(parseLinkageConfig({ ...base, blocking: [['surname']] }), table))).toBe('LINKAGE_COLUMN_UNKNOWN');
    expect(codeOf(() => runLinkage(parseLinkageConfig({ ...base, blocking: [['name']], maxPairs: 2 }), table))).toBe('LINKAGE_TOO_MANY_PAIRS');
  });
});
