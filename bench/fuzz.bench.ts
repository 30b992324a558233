/**
 * Every fuzzer of test/fuzz with many inputs: how many were tried and how many crashed, per parser,
 * for BENCHMARKS.md and docs/security.md. Unlike the tests, a crash does not stop a fuzzer: each
 * input is tried and the first three failures are printed (message and input).
 *
 *   npx tsx bench/fuzz.bench.ts                      # 100,000 inputs a fuzzer (weighted: files and HTTP take half)
 *   npx tsx bench/fuzz.bench.ts --runs 10000 --only note --seed 7
 *   npx tsx bench/fuzz.bench.ts --json fuzz.json     # also the table as JSON
 */
import { writeFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { fileFuzzers, removeFuzzFiles } from '../test/fuzz/files.fuzzers.js';
import { fuzzSeed, tallyFuzzer, type AnyFuzzer, type FuzzTally } from '../test/fuzz/fuzz-harness.js';
import { startHttpFuzzers } from '../test/fuzz/http.fuzzers.js';
import { parserFuzzers } from '../test/fuzz/parsers.fuzzers.js';

const { values } = parseArgs({
  options: {
    runs: { type: 'string', default: '100000' },
    seed: { type: 'string', default: String(fuzzSeed) },
    only: { type: 'string' },
    http: { type: 'boolean', default: true },
    'no-http': { type: 'boolean', default: false },
    json: { type: 'string' },
  },
});
const runs = Number(values.runs);
const seed = Number(values.seed);
const wanted = (f: AnyFuzzer): boolean => values.only === undefined || f.name.toLowerCase().includes(values.only.toLowerCase());

const tallies: FuzzTally[] = [];
const run = async (fuzzers: readonly AnyFuzzer[]): Promise<void> => {
  for (const f of fuzzers.filter(wanted)) {
    const tally = await tallyFuzzer(f, runs, seed);
    tallies.push(tally);
    console.log(`${tally.name} (${tally.file}): ${tally.tried.toLocaleString('en-US')} inputs, ${tally.crashes} crashes, ${tally.seconds.toFixed(1)} s`);
    for (const e of tally.examples) console.log(`  ${e.message.slice(0, 200)}\n    input: ${e.input}`);
  }
};

await run(parserFuzzers);
await run(fileFuzzers);
removeFuzzFiles();
if (values.http && !values['no-http']) {
  const target = await startHttpFuzzers();
  try {
    await run(target.fuzzers);
  } finally {
    await target.close();
  }
}

console.log('\n| parser | file | inputs tried | crashes |\n|---|---|---|---|');
for (const t of tallies) console.log(`| ${t.name} | ${t.file} | ${t.tried.toLocaleString('en-US')} | ${t.crashes} |`);
if (values.json !== undefined) writeFileSync(values.json, JSON.stringify({ seed, runs, tallies }, null, 2));
