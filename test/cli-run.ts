import { spawnSync } from 'node:child_process';

export interface CliRun {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
}

/**
 * Runs `sachsong` from the sources (tsx) as a user would, on the embedded store in `dataDir`
 * (DATABASE_URL emptied, logs silenced), and waits for it.
 *
 * @example
 * const run = runCli(['generate', '--people', '100'], path.join(dir, 'data'));
 * expect(run.code, run.stderr).toBe(0);
 */
export function runCli(args: readonly string[], dataDir: string, timeoutMs = 120_000): CliRun {
  const result = spawnSync(process.execPath, ['--import', 'tsx', 'src/cli/main.ts', ...args], {
    env: { ...process.env, SACHSONG_DATA_DIR: dataDir, LOG_LEVEL: 'silent', DATABASE_URL: '' },
    encoding: 'utf8',
    timeout: timeoutMs,
  });
  return { code: result.status ?? -1, stdout: result.stdout, stderr: result.stderr };
}
