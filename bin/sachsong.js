#!/usr/bin/env node
// The `sachsong` command runs the compiled CLI; from a fresh clone, build it once first.
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { constants } from 'node:os';
import { fileURLToPath } from 'node:url';

const cli = new URL('../dist/cli/main.js', import.meta.url);
if (!existsSync(cli)) {
  console.error('sachsong is not built yet: run `npm run build` (or `npm start`) first');
  process.exit(1);
}
// The server needs V8 flags of its own (src/shared/server-flags.ts), which only a new process takes:
// it runs as a child, which gets the signals and whose exit code is ours.
const { serverNodeFlags } = await import(new URL('../dist/shared/server-flags.js', import.meta.url).href);
const missing = process.argv[2] === 'serve' ? serverNodeFlags().filter((flag) => !process.execArgv.includes(flag)) : [];
if (missing.length > 0) {
  const child = spawn(process.execPath, [...process.execArgv, ...missing, fileURLToPath(import.meta.url), ...process.argv.slice(2)], { stdio: 'inherit' });
  for (const signal of ['SIGINT', 'SIGTERM']) process.on(signal, () => child.kill(signal));
  child.on('exit', (code, signal) => process.exit(code ?? 128 + (signal === null ? 0 : constants.signals[signal])));
} else {
  await import(cli.href);
}
