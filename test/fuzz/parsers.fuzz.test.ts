import { describe, expect, it } from 'vitest';
import { assertFuzzer, fuzzRuns } from './fuzz-harness.js';
import { parserFuzzers } from './parsers.fuzzers.js';

/**
 * Property-based fuzzing of the parsers that need no store: ID numbers, partial dates, legacy
 * encoding detection, signed checkpoints and keys, client assertions and access tokens. Each
 * prints how many inputs it tried; a failure prints fast-check's seed, path and shrunk input.
 */
describe('fuzzing the parsers', () => {
  for (const f of parserFuzzers) {
    it(`${f.name} (${f.file}) takes ${fuzzRuns} arbitrary and malicious inputs without a crash`, async () => {
      expect(await assertFuzzer(f)).toBeGreaterThan(0);
    }, 60_000);
  }
});
