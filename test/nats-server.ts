import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer, connect } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';

/** A private NATS server with JetStream on its own port and store folder, which a test may kill and start again. */
export interface PrivateNats {
  readonly url: string;
  /** The server's process id while it runs (benchmarks read its CPU time). */
  pid(): number | undefined;
  /** SIGKILL: no flush, no goodbye. */
  kill(): Promise<void>;
  /** Starts again on the same port and store. */
  restart(): Promise<void>;
  close(): Promise<void>;
}

export const natsServerBinary = '/usr/sbin/nats-server';

export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const port = (s.address() as { port: number }).port;
      s.close(() => { resolve(port); });
    });
  });
}

async function accepting(port: number, ms: number): Promise<void> {
  const until = Date.now() + ms;
  for (;;) {
    const ok = await new Promise<boolean>((resolve) => {
      const c = connect(port, '127.0.0.1', () => { c.destroy(); resolve(true); });
      c.once('error', () => { resolve(false); });
    });
    if (ok) return;
    if (Date.now() > until) throw new Error(`nats-server did not listen on ${port}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

export async function startPrivateNats(): Promise<PrivateNats> {
  const port = await freePort();
  const dir = mkdtempSync(path.join(tmpdir(), 'sachsong-nats-'));
  let child: ChildProcess | undefined;
  const start = async (): Promise<void> => {
    child = spawn(natsServerBinary, ['-js', '-sd', dir, '-a', '127.0.0.1', '-p', String(port)], { stdio: 'ignore' });
    await accepting(port, 10_000);
  };
  const kill = async (): Promise<void> => {
    const c = child;
    if (c === undefined || c.exitCode !== null) return;
    await new Promise<void>((resolve) => { c.once('exit', () => { resolve(); }); c.kill('SIGKILL'); });
  };
  await start();
  return {
    url: `nats://127.0.0.1:${port}`,
    pid: () => child?.pid,
    kill,
    restart: start,
    close: async () => {
      await kill();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
