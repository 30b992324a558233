// The request thread's part of an official read's record before the journal: its leaves from the
// template (OfficialReadLeaves.of, with the Date the recorder takes), and the instant's text by
// isoInstant against Date.prototype.toISOString. Timed in this thread over --reads reads, µs each.
//   npx tsx bench/official-read-leaves.bench.ts [--reads 1000000] [--rounds 5]
import { randomUUID } from 'node:crypto';
import { parseArgs } from 'node:util';
import { OfficialReadLeaves } from '../src/audit/official-read.leaves.js';
import { officialReadRecords, type OfficialRead } from '../src/audit/official-read.recorder.js';
import { isoInstant } from '../src/shared/clock.js';

const { values } = parseArgs({ options: { reads: { type: 'string', default: '1000000' }, rounds: { type: 'string', default: '5' } } });
const reads = Number(values.reads);
const rounds = Number(values.rounds);

const fields = Object.freeze(['idNumber', 'fullName', 'birthDate', 'sex', 'ethnicity', 'religion', 'nationality', 'birthProvince', 'hometown', 'permanentResidence', 'temporaryResidence', 'currentResidence', 'fatherId', 'motherId', 'spouseId', 'householdId', 'relationshipToHead', 'status', 'deathDate', 'version', 'updatedAt']);
const reader = { kind: 'officer', id: randomUUID(), role: 'national_officer', unit: { level: 'nation', code: null } } as const;
const requestIds = Array.from({ length: 1_000 }, () => randomUUID());
const personIds = Array.from({ length: 1_000 }, (_, i) => String(100_000_000_000 + i * 7_919));
const readOf = (i: number): OfficialRead => ({
  reader, action: 'person.read', personIds: [personIds[i % 1_000] ?? ''], fields, purpose: 'Tra cứu hồ sơ công dân trong công tác quản lý dân cư',
  caseReference: undefined, breakGlassReason: undefined, requestId: requestIds[i % 1_000] ?? '',
});

/** Median µs a call over the rounds; `sink` keeps the results alive. */
function time(run: (i: number) => number): number {
  const results: number[] = [];
  let sink = 0;
  for (let round = 0; round < rounds; round++) {
    const started = performance.now();
    for (let i = 0; i < reads; i++) sink += run(i);
    results.push(((performance.now() - started) * 1_000) / reads);
  }
  if (sink < 0) console.log(sink);
  return Math.round(([...results].sort((a, b) => a - b)[Math.floor(results.length / 2)] ?? 0) * 1_000) / 1_000;
}

const leaves = new OfficialReadLeaves((read, at) => officialReadRecords(read, at));
console.log(JSON.stringify({
  bench: 'official-read-leaves',
  reads,
  rounds,
  // µs a read: a read's leaves from its template, with `new Date()` as the recorder's clock gives it.
  leavesOfMicros: time((i) => leaves.of(readOf(i), new Date())?.at.length ?? 0),
  isoInstantMicros: time(() => isoInstant(new Date()).length),
  toIsoStringMicros: time(() => new Date().toISOString().length),
}, null, 2));
