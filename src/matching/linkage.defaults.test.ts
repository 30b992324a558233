import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { withoutRandomMatches } from './fellegi-sunter.js';
import { comparatorFor } from './linkage.comparisons.js';
import { parseLinkageConfig } from './linkage.config.js';
import { readLinkageTables } from './linkage-file.reader.js';
import { runLinkage, usesTermFrequency } from './linkage.service.js';

const fixtures = fileURLToPath(new URL('../../test/fixtures/linkage/febrl', import.meta.url));

/** The linkage example of the README, as a user copies it (the JSON block after "Linkage"). */
function readmeConfig(): Record<string, unknown> {
  const readme = readFileSync(fileURLToPath(new URL('../../README.md', import.meta.url)), 'utf8');
  const block = /```json\n(\{ "mode": "link",[\s\S]*?)```/.exec(readme)?.[1];
  if (block === undefined) throw new Error('the README has no linkage example');
  return JSON.parse(block) as Record<string, unknown>;
}

describe('linkage defaults', () => {
  it('links FEBRL 4a/4b with the README config exactly as written at pairwise F1 above 0.997', () => {
    const config = parseLinkageConfig({
      ...readmeConfig(),
      left: { path: `${fixtures}/dataset4a.csv.gz`, id: 'rec_id' },
      right: { path: `${fixtures}/dataset4b.csv.gz`, id: 'rec_id' },
      output: undefined,
      truth: { column: 'rec_id', pattern: '^rec-(\\d+)' },
    });
    expect(config.comparisons.map((c) => c.column)).toEqual(['given_name', 'surname', 'date_of_birth', 'soc_sec_id']);
    const { left, right } = readLinkageTables(config);
    const result = runLinkage(config, left, right);
    expect(result.evaluation?.f1).toBeGreaterThan(0.997);
    expect(result.evaluation?.precision).toBeGreaterThan(0.998);
    // Given name and surname written the wrong way round are a level of their own.
    expect(result.model.fields[0]?.levels).toEqual(['exact', 'jw>=0.9', 'jw>=0.7', 'other-column', 'else']);
  }, 120_000);

  it('takes the matches among random pairs out of u', () => {
    const model = withoutRandomMatches({ prior: 2e-4, fields: [{ name: 'ssn', levels: ['exact', 'else'], m: [0.9, 0.1], u: [0.00019, 0.99981] }] }, 1e-6);
    const u = model.fields[0]?.u ?? [];
    expect(u[0]).toBeCloseTo(0.00001, 5);
    expect((u[0] ?? 0) + (u[1] ?? 0)).toBeCloseTo(1, 10);
    // Never below the floor, whatever the estimate.
    const floored = withoutRandomMatches({ prior: 0.5, fields: [{ name: 'x', levels: ['exact', 'else'], m: [1, 0], u: [0.1, 0.9] }] }, 1e-4);
    expect(floored.fields[0]?.u[0]).toBeGreaterThan(0);
  });

  it('compares a date that a keying error made impossible as close, and adjusts names by term frequency by default', () => {
    const date = comparatorFor({ column: 'd', kind: 'date' });
    const a = date.prepare('19420704');
    const b = date.prepare('19402704'); // month 27: digits swapped
    expect(b).toBeDefined();
    expect(a !== undefined && b !== undefined ? date.levels[date.level(a, b)] : undefined).toBe('close');
    expect(date.prepare('not a date')).toBeUndefined();
    expect(usesTermFrequency({ column: 'n', kind: 'jaro' })).toBe(true);
    expect(usesTermFrequency({ column: 'n', kind: 'jaro', termFrequency: false })).toBe(false);
    expect(usesTermFrequency({ column: 'd', kind: 'date' })).toBe(false);
  });
});
