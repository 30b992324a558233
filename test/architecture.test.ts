import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';

/**
 * The layer rules of docs/architecture.md, checked on the import statements of src/ (tests and
 * test helpers aside). A rule broken names the file and the import; the known exceptions below
 * may only shrink: one that no longer exists fails too, so that it is struck off the list.
 */
interface Import {
  readonly file: string; // src-relative, e.g. registry/person.routes.ts
  readonly module: string; // the importing module folder
  readonly target: string; // src-relative path imported, or a package name
  readonly targetModule: string | undefined; // the imported module folder, for a src file
}

const srcDir = path.resolve('src');
const specifier = /(?:^|[\s;])(?:import|export)\s[^'"]*?from\s*['"]([^'"]+)['"]|import\(\s*['"]([^'"]+)['"]\s*\)/g;

function imports(): Import[] {
  const files = readdirSync(srcDir, { recursive: true, encoding: 'utf8' })
    .filter((f) => f.endsWith('.ts') && !f.endsWith('.test.ts') && !f.endsWith('.test-helper.ts'))
    .map((f) => f.replaceAll(path.sep, '/'));
  return files.flatMap((file) => {
    const text = readFileSync(path.join(srcDir, file), 'utf8');
    const module = file.split('/')[0] ?? '';
    return [...text.matchAll(specifier)].map((m): Import => {
      const spec = m[1] ?? m[2] ?? '';
      if (!spec.startsWith('.')) return { file, module, target: spec, targetModule: undefined };
      const target = path.posix.normalize(path.posix.join(path.posix.dirname(file), spec)).replace(/\.js$/, '.ts');
      return { file, module, target, targetModule: target.split('/')[0] };
    });
  });
}

const all = imports();
const across = all.filter((i) => i.targetModule !== undefined && i.targetModule !== i.module);
const show = (list: readonly Import[]): string[] => list.map((i) => `${i.file} → ${i.target}`).sort();

/** Imports that break a rule today, each with its issue: the list may only shrink. */
const knownExceptions: readonly string[] = [
];

/** The registry's own tables: other modules read them through the registry's repositories and read models. */
const registryTables = ['persons', 'households', 'life_events', 'import_batches'];
const registryTableUse = new RegExp(`(?:selectFrom|insertInto|updateTable|deleteFrom|innerJoin|leftJoin)\\(\\s*['"](?:${registryTables.join('|')})['"]|\\b(?:FROM|JOIN|from|join)\\s+(?:${registryTables.join('|')})\\b(?!\\s*\\()`);
/** Files outside src/registry that name a registry table in a query: the store's own machinery alone. */
function registryTableReaders(): string[] {
  return readdirSync(srcDir, { recursive: true, encoding: 'utf8' })
    .map((f) => f.replaceAll(path.sep, '/'))
    .filter((f) => f.endsWith('.ts') && !f.endsWith('.test.ts') && !f.endsWith('.test-helper.ts') && !f.startsWith('registry/'))
    // The store loads, backs up and migrates every table; its fast paths' examples name persons.
    .filter((f) => !/^store\/(migrations\/|bulk-writer\.ts$|backup\.engine\.ts$|database\.ts$|fast-read\.ts$)/.test(f))
    // Code, not comments, nor the direction centre's indicator definitions (`source:`, the query shown to leaders).
    .filter((f) => readFileSync(path.join(srcDir, f), 'utf8').split('\n').some((line) => !/^\s*(\*|\/\/|\/\*)|^\s*source:/.test(line) && registryTableUse.test(line)))
    .sort();
}

/** Every rule: a name and the imports that break it. */
const rules: readonly { readonly name: string; readonly broken: () => readonly Import[] }[] = [
  { name: 'shared imports no module', broken: () => across.filter((i) => i.module === 'shared') },
  { name: 'config imports shared alone', broken: () => across.filter((i) => i.module === 'config' && i.targetModule !== 'shared') },
  { name: 'nothing imports the cli', broken: () => across.filter((i) => i.targetModule === 'cli') },
  {
    name: 'store imports shared and the modules\' table types (*.tables.ts) alone',
    broken: () => across.filter((i) => i.module === 'store' && i.targetModule !== 'shared' && !i.target.endsWith('.tables.ts')),
  },
  {
    name: 'outside http and cli, only a module\'s routes (*.routes.ts) import http',
    broken: () => across.filter((i) => i.targetModule === 'http' && i.module !== 'cli' && !i.file.endsWith('.routes.ts')),
  },
  {
    name: 'no module imports another\'s routes but http and cli, which mount them',
    broken: () => across.filter((i) => i.target.endsWith('.routes.ts') && i.module !== 'http' && i.module !== 'cli'),
  },
  {
    name: 'the registry depends on no module above it (audit, exchange, quality, matching, identity but its routes)',
    broken: () => across.filter((i) => i.module === 'registry' && ['audit', 'exchange', 'quality', 'matching', 'identity'].includes(i.targetModule ?? '') && !i.file.endsWith('.routes.ts')),
  },
  {
    name: 'production code imports none of the generators left out of the build (tsconfig.build.json)',
    broken: () => all.filter((i) => /^quality\/detection-accuracy\.ts$/.test(i.target) && !/^quality\/detection-accuracy\.ts$/.test(i.file)),
  },
  {
    name: 'services import no web framework, driver or DuckDB',
    broken: () => all.filter((i) => i.file.endsWith('.service.ts') && /^(fastify|@fastify\/|better-sqlite3$|pg$|pg-copy-streams$|@duckdb\/)/.test(i.target)),
  },
  {
    name: 'the access log depends on no module above it (exchange, quality, matching, identity) outside its routes',
    broken: () => across.filter((i) => i.module === 'audit' && ['exchange', 'quality', 'matching', 'identity'].includes(i.targetModule ?? '') && !i.file.endsWith('.routes.ts')),
  },
  {
    name: 'a driver is reached by the store, repositories and the access log\'s writers alone',
    broken: () => all.filter((i) => /^(better-sqlite3|pg|pg-copy-streams)$/.test(i.target) && i.module !== 'store' && !i.file.endsWith('.repository.ts')
      && !/^audit\/(access-log\.(store|worker|writer)|access-journal\.folder|person-index\.writer)\.ts$/.test(i.file)),
  },
];

describe('layers point one way (docs/architecture.md)', () => {
  it('other modules read the registry\'s tables through the registry\'s repositories and read models (rule 7)', () => {
    // the check must see a query when there is one
    expect(registryTableUse.test("db.selectFrom('persons').selectAll()")).toBe(true);
    expect(registryTableUse.test('SELECT id_number FROM households WHERE x = 1')).toBe(true);
    expect(registryTableUse.test("db.selectFrom('exchange_consents')")).toBe(false);
    expect(registryTableReaders()).toEqual([]);
  });

  it('finds the imports it checks', () => {
    // a parser that found nothing would pass every rule
    expect(all.length).toBeGreaterThan(500);
    expect(show(across)).toContain('http/app.ts → registry/registry.service.ts');
    expect(show(all.filter((i) => i.target === 'kysely')).length).toBeGreaterThan(20);
  });

  it.each(rules.map((r) => [r.name, r] as const))('%s', (_name, rule) => {
    const broken = show(rule.broken()).filter((line) => !knownExceptions.includes(line));
    expect(broken).toEqual([]);
  });

  it('keeps the known exceptions current: each still exists and still breaks a rule', () => {
    const breaking = new Set(rules.flatMap((r) => show(r.broken())));
    expect(knownExceptions.filter((line) => !breaking.has(line))).toEqual([]);
  });
});
