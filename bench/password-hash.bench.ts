// The officers' password hash (scrypt, OWASP parameters N=2^17, r=8, p=1, 32-byte key): ms per
// hash and hashes per second per core, hence the sign-ins per second per core it allows (a
// sign-in verifies one hash; an unknown user name spends one too).
//   npx tsx bench/password-hash.bench.ts [--hashes 20] [--ln 17] [--parallel 2]
// Hashes run one at a time (one core) and then `--parallel` at once (libuv's pool, one per
// core). Wall time on a shared machine includes others' load, so the CPU time the process
// spent per hash (process.cpuUsage: every thread) is printed too: it is the figure per core.
import { availableParallelism } from 'node:os';
import { parseArgs } from 'node:util';
import { scryptPasswordHasher } from '../src/identity/password.hasher.js';

const { values } = parseArgs({
  options: {
    hashes: { type: 'string', default: '20' },
    ln: { type: 'string', default: '17' },
    parallel: { type: 'string', default: String(Math.min(2, availableParallelism())) },
  },
});
const hashes = Math.max(1, Number(values.hashes));
const ln = Number(values.ln);
const parallel = Math.max(1, Number(values.parallel));
const params = { ln, r: 8, p: 1 };
const password = 'Sông Hồng chảy qua Hà Nội';

interface Run {
  readonly wallMs: number;
  readonly cpuMs: number;
}

async function measure(concurrency: number): Promise<Run> {
  const hasher = scryptPasswordHasher({ params, concurrency });
  const stored = await hasher.hash(password); // warm-up, and the hash every verify checks
  const cpu0 = process.cpuUsage();
  const t0 = performance.now();
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < hashes) {
      next++;
      const { ok } = await hasher.verify(password, stored);
      if (!ok) throw new Error('verify failed');
    }
  };
  await Promise.all(Array.from({ length: concurrency }, worker));
  const wallMs = performance.now() - t0;
  const cpu = process.cpuUsage(cpu0);
  return { wallMs, cpuMs: (cpu.user + cpu.system) / 1000 };
}

const fmt = (n: number, digits = 1): string => n.toFixed(digits);
console.log(`scrypt N=2^${ln} r=${params.r} p=${params.p}, 16-byte salt, 32-byte key, ${(128 * 2 ** ln * params.r) / 2 ** 20} MiB per hash; ${hashes} verifications per run; node ${process.version}, ${availableParallelism()} cores`);
for (const concurrency of [...new Set([1, parallel])]) {
  const run = await measure(concurrency);
  const wallPerHash = run.wallMs / hashes;
  const cpuPerHash = run.cpuMs / hashes;
  console.log(
    `${concurrency} at a time: ${fmt(wallPerHash)} ms per hash (wall), ${fmt(1000 / wallPerHash, 2)} hashes/s in all; ` +
      `${fmt(cpuPerHash)} ms CPU per hash → ${fmt(1000 / cpuPerHash, 2)} hashes (sign-ins) per second per core`,
  );
}
