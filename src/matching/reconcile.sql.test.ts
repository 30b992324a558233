import { describe, expect, it } from 'vitest';
import { classifySql } from './reconcile.engine.js';
import { presetNames, reconcilePresets, type CanonicalField } from './reconcile.presets.js';

/**
 * The SQL that reconciliation runs, kept as reviewed files (src/matching/__sql__): a
 * change to the generated SQL shows in review as a change to these files, and this test fails until
 * the files are updated with it (`npx vitest run src/matching/reconcile.sql.test.ts -u`, then read
 * the diff). One file per preset with every column mapped, and one for a file without birth dates
 * and communes, whose checks must drop out of the SQL.
 */
const provinces = ['001', '079'];
const statementsOf = (preset: (typeof presetNames)[number], has: (field: CanonicalField) => boolean, cards: boolean): string => {
  const { classify, finish } = classifySql({ preset: reconcilePresets[preset], persons: 'persons', communes: "'communes.parquet'", has, today: '2026-12-05', provinces, cards });
  return [...classify, ...finish].map((s) => `${s.trim().replace(/[ \t]+$/gm, '')};\n`).join('\n');
};

describe('the SQL reconciliation generates (reviewed snapshot files)', () => {
  it.each(presetNames)('%s, every column mapped, with old card numbers', async (preset) => {
    await expect(statementsOf(preset, () => true, true)).toMatchFileSnapshot(`./__sql__/reconcile-classify.${preset}.sql`);
  });

  it('telecom without birth dates or communes, and no old card numbers', async () => {
    const has = (field: CanonicalField): boolean => field !== 'birth' && field !== 'commune';
    const text = statementsOf('telecom', has, false);
    expect(text).not.toContain('in_birth');
    await expect(text).toMatchFileSnapshot('./__sql__/reconcile-classify.telecom-partial.sql');
  });
});
