import { spawnSync } from 'node:child_process';
import { copyFileSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { gunzipSync } from 'node:zlib';
import { afterAll, describe, expect, it } from 'vitest';

const root = fileURLToPath(new URL('../../', import.meta.url));
const assets = join(root, 'assets/admin-units');
const tables = ['communes-2021-catalog.csv', 'communes-2025-catalog.csv', 'communes-2025-conversion.csv'];
const temporary: string[] = [];

function scratch(): string {
  const dir = mkdtempSync(join(tmpdir(), 'admin-units-'));
  temporary.push(dir);
  return dir;
}

// The official tables, byte for byte, kept gzipped in test/fixtures so the test runs on any clone.
const source = scratch();
for (const table of tables) writeFileSync(join(source, table), gunzipSync(readFileSync(join(root, 'test/fixtures/admin-units', `${table}.gz`))));

function build(args: readonly string[]): { status: number | null; output: string } {
  const run = spawnSync(process.execPath, ['--import', 'tsx', join(root, 'scripts/build-admin-units.ts'), ...args], { cwd: root, encoding: 'utf8' });
  return { status: run.status, output: run.stdout + run.stderr };
}

afterAll(() => {
  for (const dir of temporary) rmSync(dir, { recursive: true, force: true });
});

describe('scripts/build-admin-units.ts', () => {
  it('rebuilds exactly the committed assets from the official tables', () => {
    const out = scratch();
    const run = build(['--source', source, '--out', out]);
    expect(run.status, run.output).toBe(0);
    expect(readdirSync(out).sort()).toEqual(readdirSync(assets).filter((f) => f.endsWith('.tsv')).sort());
    for (const file of readdirSync(out)) expect(readFileSync(join(out, file), 'utf8'), file).toBe(readFileSync(join(assets, file), 'utf8'));
  });

  it('fails loudly when the conversion names an old commune the catalog does not know', () => {
    const tampered = scratch();
    for (const table of tables) copyFileSync(join(source, table), join(tampered, table));
    const conversion = join(tampered, 'communes-2025-conversion.csv');
    // Phường Quán Thánh 00013 → a code no catalog has
    writeFileSync(conversion, readFileSync(conversion, 'utf8').replace('Phường Quán Thánh,00013,', 'Phường Quán Thánh,00014,'));
    const run = build(['--source', tampered, '--out', scratch()]);
    expect(run.status).toBe(1);
    expect(run.output).toContain('old unit 00014');
  });

  it('fails loudly when a catalog has a different number of rows', () => {
    const tampered = scratch();
    for (const table of tables) copyFileSync(join(source, table), join(tampered, table));
    const catalog = join(tampered, 'communes-2025-catalog.csv');
    const text = readFileSync(catalog, 'utf8');
    const eol = text.includes('\r\n') ? '\r\n' : '\n';
    writeFileSync(catalog, text.trimEnd() + `${eol}01,Thành phố Hà Nội,thành phố trung ương,99990,Phường Thử,phường${eol}`);
    const run = build(['--source', tampered, '--out', scratch()]);
    expect(run.status).toBe(1);
    expect(run.output).toContain('build-admin-units failed: 2025 catalog: 3322 rows, expected 3321');
  });
});
