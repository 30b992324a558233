import { afterAll, describe, expect, it } from 'vitest';
import { assertFuzzer, fuzzRuns, runsOf } from './fuzz-harness.js';
import { fileFuzzers, removeFuzzFiles } from './files.fuzzers.js';

/**
 * Property-based fuzzing of the file readers: the person CSV and NDJSON reader and the linkage CSV
 * reader, with junk bytes, broken quotes, wrong and mixed encodings, deep nesting and cells that
 * stand for personal data (no message may repeat them).
 */
describe('fuzzing the file readers', () => {
  afterAll(() => {
    removeFuzzFiles();
  });
  for (const f of fileFuzzers) {
    it(`${f.name} (${f.file}) takes ${runsOf(f, fuzzRuns)} arbitrary and malicious files without a crash`, async () => {
      expect(await assertFuzzer(f)).toBeGreaterThan(0);
    }, 60_000);
  }
});
