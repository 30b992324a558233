import { spawn, spawnSync, type ChildProcessByStdio } from 'node:child_process';
import { once } from 'node:events';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { Readable } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

/**
 * `sachsong serve` as a process (run from the sources, like the other CLI tests): what it prints
 * at start, and how it stops with a client that never finishes its request.
 */

let dir: string;

beforeAll(() => {
  dir = mkdtempSync(path.join(tmpdir(), 'sachsong-serve-'));
});
afterAll(() => {
  rmSync(dir, { recursive: true, force: true });
});

type Serve = ChildProcessByStdio<null, Readable, Readable>;

function serve(dataDir: string, env: Readonly<Record<string, string>> = {}): Serve {
  return spawn(process.execPath, ['--import', 'tsx', 'src/cli/main.ts', 'serve'], {
    env: { ...process.env, SACHSONG_DATA_DIR: dataDir, LOG_LEVEL: 'silent', DATABASE_URL: '', SACHSONG_OPERATOR_TOKEN: '', PORT: '0', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
}

/** Resolves with what serve printed once it has printed its API docs line (the last of the banner). */
function banner(command: Serve): Promise<string> {
  return new Promise((resolve, reject) => {
    let out = '';
    command.stdout.on('data', (b: Buffer) => {
      out += b.toString();
      if (out.includes('API docs:')) resolve(out);
    });
    command.once('exit', (code) => { reject(new Error(`sachsong serve exited (${code}) before serving: ${out}`)); });
  });
}

async function stop(command: Serve): Promise<number | null> {
  const exited = once(command, 'exit');
  command.kill('SIGTERM');
  const [code] = (await exited) as [number | null];
  return code;
}

describe('sachsong serve', () => {
  it('prints the console address, and the operator token (for the first administrator) only on the start that made it', async () => {
    const dataDir = path.join(dir, 'token');
    const first = serve(dataDir);
    const firstOut = await banner(first);
    const token = readFileSync(path.join(dataDir, 'operator-token'), 'utf8').trim();
    expect(firstOut).toContain(`operator token: ${token}`);
    expect(firstOut).toContain('/api/identity/bootstrap');
    // The console no longer takes a token in its address: officers sign in.
    expect(firstOut).not.toContain('#token=');
    expect(await stop(first)).toBe(0);

    const second = serve(dataDir);
    const secondOut = await banner(second);
    expect(secondOut).not.toContain(token);
    expect(secondOut).not.toContain('#token=');
    expect(secondOut).toMatch(/operator token kept in \S*operator-token/);
    expect(await stop(second)).toBe(0);

    const fromEnv = serve(path.join(dir, 'token-env'), { SACHSONG_OPERATOR_TOKEN: 'env-operator-token-0123456789abcdef' });
    const envOut = await banner(fromEnv);
    expect(envOut).not.toContain('env-operator-token');
    expect(envOut).toMatch(/SACHSONG_OPERATOR_TOKEN/);
    expect(await stop(fromEnv)).toBe(0);
  }, 120_000);

  it('stops within its grace period after SIGTERM although a client is still trickling a request body', async () => {
    // The body deadline is set long here so that only the shutdown's own bound can end the request.
    // The bound checked is loose (20 s for a 0.5 s grace: a loaded machine closes the stores slowly);
    // without one the trickle holds the server for as long as it goes on.
    const command = serve(path.join(dir, 'shutdown'), { SACHSONG_BODY_TIMEOUT_MS: '120000', SACHSONG_SHUTDOWN_GRACE_MS: '500' });
    const out = await banner(command);
    const port = Number(/http:\/\/127\.0\.0\.1:(\d+)/.exec(out)?.[1]);
    expect(port).toBeGreaterThan(0);
    const socket = connect(port, '127.0.0.1');
    socket.on('error', () => undefined);
    let received = '';
    const continued = new Promise<void>((resolve) => {
      socket.on('data', (b: Buffer) => {
        received += b.toString();
        if (received.includes('100 Continue')) resolve();
      });
    });
    socket.write('POST /x/token HTTP/1.1\r\nHost: x\r\nContent-Type: application/x-www-form-urlencoded\r\nContent-Length: 1000\r\nExpect: 100-continue\r\n\r\n');
    // The server has read the headers: the request is in flight, not an idle connection.
    await continued;
    const trickling = setInterval(() => { if (!socket.destroyed) socket.write('a'); }, 100);
    const started = performance.now();
    const exited = (once(command, 'exit') as Promise<[number | null]>).then(([code]) => ({ code }));
    command.kill('SIGTERM');
    const bound = new Promise<'still running'>((resolve) => setTimeout(() => { resolve('still running'); }, 20_000).unref());
    const outcome = await Promise.race([exited, bound]);
    clearInterval(trickling);
    socket.destroy();
    if (outcome === 'still running') command.kill('SIGKILL');
    expect(outcome).toEqual({ code: 0 });
    expect(performance.now() - started).toBeLessThan(20_000);
  }, 120_000);
});

describe('CLI failures', () => {
  it('name the file as the user gave it, or by its base name, and print no stack trace or server path', () => {
    const run = (args: readonly string[]): { code: number | null; stderr: string } => {
      const r = spawnSync(process.execPath, ['--import', 'tsx', 'src/cli/main.ts', ...args], {
        env: { ...process.env, SACHSONG_DATA_DIR: path.join(dir, 'cli-data'), LOG_LEVEL: 'silent', DATABASE_URL: '' },
        encoding: 'utf8',
        timeout: 120_000,
      });
      return { code: r.status, stderr: r.stderr };
    };
    const relative = run(['import', 'no-such-folder/persons.csv']);
    // A missing input file is the operator's to fix (exit 2, as every refused input; test/cli-operator.test.ts).
    expect(relative.code).toBe(2);
    expect(relative.stderr.trim()).toBe('error FILE_NOT_FOUND: There is no file at no-such-folder/persons.csv; what to do: Check the file path');
    const absolute = run(['export', '--out', path.join(dir, 'no-such-folder', 'persons.csv')]);
    expect(absolute.code).toBe(1);
    expect(absolute.stderr).toMatch(/^error ENOENT: cannot open persons\.csv/);
    for (const out of [relative.stderr, absolute.stderr]) {
      expect(out).not.toContain(dir);
      expect(out).not.toContain(process.cwd());
      expect(out).not.toMatch(/\n\s+at /);
    }
  }, 120_000);
});
