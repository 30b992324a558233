import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { defineConfig } from 'vitest/config';

/**
 * Two projects, both run by `vitest run` (and `npm test`):
 * - unit: tests under src/ and web/ that open no store, server, browser or child process and are
 *   not slow: no PostgreSQL needed, under a minute (`npm run test:unit`, on every change);
 * - integration: everything else (the stores on SQLite and PostgreSQL, the HTTP app, the CLI in
 *   child processes, chromium), with the migrated PostgreSQL template made once (global setup).
 * A test file is sorted by what it uses, so a new one lands in the right project by itself.
 */
const opensSomething = /createTestDatabase|openDatabase|startTestServer|buildApp|spawn|chromium|DuckDB|generatePopulationInWorker/;
const testFiles = (dir: string): string[] =>
  readdirSync(dir, { recursive: true, encoding: 'utf8' }).filter((f) => f.endsWith('.test.ts') && !f.includes('node_modules')).map((f) => path.join(dir, f).replaceAll(path.sep, '/'));
/** Store-free but slow (10-16 s each on 2 busy cores: large files, millions of keys, linkage runs). */
const slowWithoutStore = new Set(['src/registry/person-file.reader.test.ts', 'src/exchange/fingerprint.set.test.ts', 'src/matching/linkage.service.test.ts']);
const unitFiles = [
  ...[...testFiles('src'), ...testFiles('web')].filter((file) => !slowWithoutStore.has(file) && !opensSomething.test(readFileSync(file, 'utf8'))),
  'test/architecture.test.ts', // the layer rules: reads the sources only
];

export default defineConfig({
  test: {
    testTimeout: 30_000,
    hookTimeout: 60_000,
    pool: 'forks',
    // The CLI speaks Vietnamese by default; the tests written against its English words run it in
    // English (child processes inherit this), and test/cli-language.test.ts runs it in Vietnamese.
    env: { SACHSONG_LANG: 'en' },
    projects: [
      { extends: true, test: { name: 'unit', include: unitFiles } },
      {
        extends: true,
        test: {
          name: 'integration',
          include: ['src/**/*.test.ts', 'test/**/*.test.ts', 'web/**/*.test.ts'],
          exclude: unitFiles,
          globalSetup: ['test/global-setup.ts'],
        },
      },
    ],
  },
});
