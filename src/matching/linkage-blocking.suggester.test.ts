import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { suggestFromConfig } from '../cli/matching.command.js';
import { describe, expect, it } from 'vitest';
import { parseLinkageConfig } from './linkage.config.js';
import { readLinkageTables } from './linkage-file.reader.js';
import { suggestBlockingRules } from './linkage-blocking.suggester.js';
import { runLinkage } from './linkage.service.js';

const fixtures = fileURLToPath(new URL('../../test/fixtures/linkage/febrl', import.meta.url));

describe('blocking rules suggested from the data', () => {
  it('suggests rules for FEBRL 4a/4b that keep nearly every true pair within the budget', () => {
    const base = {
      mode: 'link',
      left: { path: `${fixtures}/dataset4a.csv.gz`, id: 'rec_id' },
      right: { path: `${fixtures}/dataset4b.csv.gz`, id: 'rec_id' },
      comparisons: [
        { column: 'given_name', kind: 'jaro' }, { column: 'surname', kind: 'jaro' },
        { column: 'date_of_birth', kind: 'date' }, { column: 'soc_sec_id', kind: 'levenshtein' },
      ],
      oneToOne: true,
      truth: { column: 'rec_id', pattern: '^rec-(\\d+)' },
    };
    const config = parseLinkageConfig({ ...base, blocking: [['soc_sec_id']] });
    const { left, right } = readLinkageTables(config);
    const suggested = suggestBlockingRules(config, left, right);
    expect(suggested.length).toBeGreaterThanOrEqual(2);
    for (const s of suggested) expect(s.pairs).toBeLessThanOrEqual(20 * 5_000);
    // Every column can be wrong: some rule does without it.
    for (const column of ['given_name', 'surname', 'date_of_birth', 'soc_sec_id']) {
      expect(suggested.some((s) => !s.rule.some((k) => k.startsWith(column))), column).toBe(true);
    }
    const result = runLinkage(parseLinkageConfig({ ...base, blocking: suggested.map((s) => s.rule) }), left, right);
    const e = result.evaluation;
    expect((e?.truePairsInCandidates ?? 0) / (e?.truePairs ?? 1)).toBeGreaterThanOrEqual(0.995);
    expect(e?.f1).toBeGreaterThan(0.99);
  }, 120_000);
});

describe('sachsong link --suggest-blocking', () => {
  it('suggests rules from the files of a config, relative to the config', () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'sachsong-suggest-'));
    try {
      const rows = ['id,name,born', ...Array.from({ length: 60 }, (_, i) => `${String(i)},Người ${String(i % 20)},19${String(50 + (i % 30))}-01-0${String(1 + (i % 9))}`)];
      writeFileSync(path.join(dir, 'a.csv'), rows.join('\n'));
      writeFileSync(path.join(dir, 'link.json'), JSON.stringify({ mode: 'dedupe', left: { path: 'a.csv', id: 'id' }, comparisons: [{ column: 'name', kind: 'name' }, { column: 'born', kind: 'date' }], blocking: [['name']] }));
      const { suggestedBlocking } = suggestFromConfig(path.join(dir, 'link.json'));
      expect(suggestedBlocking.length).toBeGreaterThan(0);
      expect(suggestedBlocking.every((s) => s.pairs > 0 && s.rule.every((k) => ['name', 'born', 'born:year'].includes(k)))).toBe(true);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
