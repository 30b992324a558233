import { spawnSync } from 'node:child_process';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));

/**
 * Compiles src into dist (tsconfig.build.json, what `npm run build` and `sachsong serve` run),
 * so that a bench server runs the code production runs. Run from source through tsx, every
 * closure the request path makes goes through esbuild's naming helper (`__name`), which cost an
 * officer's read about a fifth of its server CPU (BENCHMARKS.md, 2026-12-06).
 *
 * @example
 * compileServerCode();
 * const { buildApp } = (await import(builtModule('http/app.js'))) as typeof AppModule;
 */
export function compileServerCode(): void {
  const tsc = createRequire(import.meta.url).resolve('typescript/bin/tsc');
  const result = spawnSync(process.execPath, [tsc, '-p', 'tsconfig.build.json'], { cwd: root, stdio: 'inherit' });
  if (result.status !== 0) throw new Error(`compiling src into dist failed (exit ${String(result.status)})`);
}

/** The address of a compiled module under dist, for a dynamic import. */
export function builtModule(file: string): string {
  return new URL(`../dist/${file}`, import.meta.url).href;
}
