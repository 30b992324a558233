#!/usr/bin/env node
// The `sachsong` command runs the compiled CLI; from a fresh clone, build it once first.
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { constants } from 'node:os';
import { fileURLToPath } from 'node:url';

const cli = new URL('../dist/cli/main.js', import.meta.url);
// Vietnamese unless --lang en or SACHSONG_LANG=en (as the CLI decides: src/config/config.ts).
const at = process.argv.indexOf('--lang');
const asked = at >= 0 ? process.argv[at + 1] : process.argv.find((a) => a.startsWith('--lang='))?.slice('--lang='.length);
const say = (vi, en) => ((asked ?? process.env.SACHSONG_LANG) === 'en' ? en : vi);
// Run by npm (npx sachsong, npm start), this process is a shell's child; a signal to npm ends
// the shell but not its children, so the server would keep running, orphaned. Under npm only (a
// server started with nohup or setsid is meant to outlive its shell), a parent gone is a SIGTERM.
if (process.env.npm_command !== undefined || process.env.npm_lifecycle_event !== undefined) {
  const parent = process.ppid;
  setInterval(() => {
    if (process.ppid !== parent) process.kill(process.pid, 'SIGTERM');
  }, 500).unref();
}
if (!existsSync(cli)) {
  console.error(say('sachsong chưa được dựng: chạy `npm run build` (hoặc `npm start`) trước', 'sachsong is not built yet: run `npm run build` (or `npm start`) first'));
  process.exit(1);
}
// The server needs V8 flags of its own (src/shared/server-flags.ts), which only a new process takes:
// it runs as a child, which gets the signals (it closes once however many come) and whose exit
// code is ours; over the IPC channel it learns if this process goes, even by SIGKILL.
const flagsModule = new URL('../dist/shared/server-flags.js', import.meta.url);
const { serverNodeFlags } = process.argv[2] === 'serve' && existsSync(flagsModule) ? await import(flagsModule.href) : { serverNodeFlags: () => [] };
const missing = serverNodeFlags().filter((flag) => !process.execArgv.includes(flag));
if (missing.length > 0) {
  const child = spawn(process.execPath, [...process.execArgv, ...missing, fileURLToPath(import.meta.url), ...process.argv.slice(2)], { stdio: ['inherit', 'inherit', 'inherit', 'ipc'] });
  for (const signal of ['SIGINT', 'SIGTERM']) process.on(signal, () => child.kill(signal));
  child.on('error', (error) => {
    console.error(say(`sachsong không khởi động được tiến trình máy chủ: ${error.message}`, `sachsong could not start the server process: ${error.message}`));
    process.exit(1);
  });
  child.on('exit', (code, signal) => process.exit(code ?? 128 + (signal === null ? 0 : constants.signals[signal])));
} else {
  await import(cli.href);
}
