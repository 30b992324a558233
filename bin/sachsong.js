#!/usr/bin/env node
// The `sachsong` command runs the compiled CLI; from a fresh clone, build it once first.
import { existsSync } from 'node:fs';

const cli = new URL('../dist/cli/main.js', import.meta.url);
if (!existsSync(cli)) {
  console.error('sachsong is not built yet: run `npm run build` (or `npm start`) first');
  process.exit(1);
}
await import(cli.href);
