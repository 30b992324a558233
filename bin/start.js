#!/usr/bin/env node
// `npm start`: builds only when a source, web or build file is newer than the last build, then
// serves the demo. Arguments after `npm start --` go to `sachsong serve`.
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync, statSync, utimesSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));
// Vietnamese unless --lang en or SACHSONG_LANG=en (as the CLI decides: src/config/config.ts).
const at = process.argv.indexOf('--lang');
const asked = at >= 0 ? process.argv[at + 1] : process.argv.find((a) => a.startsWith('--lang='))?.slice('--lang='.length);
const english = (asked ?? process.env.SACHSONG_LANG) === 'en';
const say = (vi, en) => (english ? en : vi);
const stamp = path.join(root, 'dist', '.build-stamp');
const inputs = ['src', 'web', 'bin', 'package.json', 'package-lock.json', 'tsconfig.json', 'tsconfig.build.json'];

/** The newest modification time under a file or folder (node_modules and dist left out). */
function newest(file) {
  const stat = statSync(file, { throwIfNoEntry: false });
  if (stat === undefined) return 0;
  if (!stat.isDirectory()) return stat.mtimeMs;
  let latest = stat.mtimeMs; // a deleted file changes its folder's time
  for (const entry of readdirSync(file)) {
    if (entry === 'node_modules' || entry === 'dist') continue;
    latest = Math.max(latest, newest(path.join(file, entry)));
  }
  return latest;
}

const built = existsSync(stamp) ? statSync(stamp).mtimeMs : 0;
const changed = Math.max(...inputs.map((input) => newest(path.join(root, input))));
if (changed > built) {
  console.error(built === 0
    ? say('sachsong: đang dựng (lần chạy đầu)', 'sachsong: building (first start)')
    : say('sachsong: mã nguồn đã thay đổi từ lần dựng trước: đang dựng lại', 'sachsong: sources changed since the last build: building'));
  const started = Date.now();
  const build = spawnSync('npm', ['run', 'build'], { cwd: root, stdio: 'inherit' });
  if (build.status !== 0) {
    console.error(say('sachsong: dựng thất bại (xem ở trên); sửa lỗi rồi chạy lại npm start', 'sachsong: the build failed (above); fix it and run npm start again'));
    process.exit(build.status ?? 1);
  }
  // Stamped with the time the build started: a file saved during the build is built next time.
  writeFileSync(stamp, `${new Date(started).toISOString()}\n`);
  utimesSync(stamp, new Date(started), new Date(started));
} else {
  console.error(say('sachsong: không có gì thay đổi từ lần dựng trước: khởi động không dựng lại', 'sachsong: nothing changed since the last build: starting without building'));
}
process.argv.splice(2, process.argv.length, 'serve', '--demo', ...process.argv.slice(2));
await import('./sachsong.js');
