// Linked procedures (src/services): how many procedures complete a second, end to end, against
// the registry work they contain done alone, in the same run on the same store.
//   npx tsx bench/procedures.bench.ts [--births 300] [--deaths 150] [--people 5000] [--store sqlite|postgres]
// `postgres` makes (and drops) a database of its own for each measurement on 127.0.0.1:5432.
// Per kind, on a fresh population:
//   - baseline: the registry's own life events of the procedure, called directly (a birth
//     registration then a residence registration; a death then the residence removal), one
//     application after another;
//   - procedures: the same applications submitted (the first step in the registry's
//     transaction), the runner working the rest (the second registry step in its transaction, the
//     signed delivery to a loopback agency with its access record, the e-ID lock observed), until
//     every procedure is done. Procedures a second = applications / (first submission → last done).
import { generateKeyPairSync } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { openAccessLog } from '../src/audit/access-log.service.js';
import { generatePopulation } from '../src/registry/population.generator.js';
import { vietnamDay } from '../src/registry/partial-date.js';
import { RegistryService } from '../src/registry/registry.service.js';
import type { PersonRecord } from '../src/registry/person.types.js';
import { systemClock } from '../src/shared/clock.js';
import { createProcedures } from '../src/services/procedures.module.js';
import { loadPopulation } from '../src/store/bulk-writer.js';
import { openDatabase, type Database } from '../src/store/database.js';
import { migrateToLatest } from '../src/store/migrator.js';
import { postgresServerUrl, withAdminClient } from '../test/postgres-admin.js';
import { applicants, unitOf } from '../test/procedures.harness.js';

const { values } = parseArgs({ options: { births: { type: 'string', default: '300' }, deaths: { type: 'string', default: '150' }, people: { type: 'string', default: '5000' }, store: { type: 'string', default: 'sqlite' } } });
const births = Number(values.births);
const deaths = Number(values.deaths);
const round = (v: number): number => Math.round(v * 10) / 10;

let stores = 0;
async function freshStore(): Promise<{ database: Database; done: () => Promise<void> }> {
  const dir = mkdtempSync(path.join(tmpdir(), 'sachsong-procedures-bench-'));
  const name = `sachsong_bench_procedures_${String(process.pid)}_${String(stores++)}`;
  if (values.store !== 'sqlite') await withAdminClient((c) => c.query(`CREATE DATABASE ${name}`));
  const database = values.store === 'sqlite' ? openDatabase({ sqliteFile: path.join(dir, 'bench.db') }) : openDatabase({ databaseUrl: `${postgresServerUrl}/${name}`, poolSize: 8 });
  await migrateToLatest(database.db, database.dialect);
  await loadPopulation(database, generatePopulation({ people: Number(values.people), seed: 26, today: '2026-01-01' }));
  return {
    database,
    done: async () => {
      await database.close();
      rmSync(dir, { recursive: true, force: true });
      if (values.store !== 'sqlite') await withAdminClient((c) => c.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`));
    },
  };
}

const agencyServer = createServer((req, res) => { req.resume(); req.on('end', () => { res.writeHead(200).end(); }); });
await new Promise<void>((resolve) => agencyServer.listen(0, '127.0.0.1', resolve));
const agencyUrl = `http://127.0.0.1:${String((agencyServer.address() as AddressInfo).port)}/lien-thong`;
const today = vietnamDay(new Date());
const yesterday = vietnamDay(new Date(Date.now() - 86_400_000));
const childName = (i: number): string => `Nguyễn ${['Văn', 'Thị', 'Minh', 'Gia'][i % 4] ?? 'Văn'} ${['An', 'Bình', 'Chi', 'Dung', 'Hà', 'Khôi', 'Lan', 'Nam'][Math.floor(i / 4) % 8] ?? 'An'} ${['Anh', 'Bảo', 'Cường', 'Duy', 'Giang', 'Hải', 'Hùng', 'Linh', 'Long', 'Mai'][Math.floor(i / 32) % 10] ?? ''}`.trim();

/** The registry work of the procedures alone. */
async function baseline(kind: 'birth' | 'death', people: readonly PersonRecord[], n: number): Promise<number> {
  const { database, done } = await freshStore();
  const registry = new RegistryService({ db: database.db, clock: systemClock });
  const started = performance.now();
  for (let i = 0; i < n; i++) {
    const p = people[i % people.length];
    if (p === undefined) break;
    if (kind === 'birth') {
      const unit = unitOf(p.permanentCommune ?? '');
      const child = await registry.register({ type: 'birth_registration', occurredOn: today, officerId: null, reason: null, facts: { fullName: childName(i), birthDate: yesterday, sex: 'M', nationality: 'VN', birthProvince: `0${unit?.province ?? '01'}`, [p.sex === 'M' ? 'fatherId' : 'motherId']: p.idNumber } });
      await registry.recordEvent({ personId: child.idNumber, type: 'residence_change', occurredOn: today, officerId: null, reason: null, data: { permanentCommune: p.permanentCommune, permanentAddress: p.permanentAddress, householdId: p.householdId, relationshipToHead: 'child' } });
    } else {
      await registry.recordEvent({ personId: p.idNumber, type: 'death', occurredOn: yesterday, officerId: null, reason: null, data: {} });
      await registry.recordEvent({ personId: p.idNumber, type: 'residence_change', occurredOn: today, officerId: null, reason: null, data: { permanentCommune: null, permanentAddress: null, temporaryCommune: null, temporaryAddress: null, currentCommune: null, currentAddress: null, householdId: null, relationshipToHead: null } });
    }
  }
  const seconds = (performance.now() - started) / 1000;
  await done();
  return n / seconds;
}

async function procedures(kind: 'birth' | 'death', people: readonly PersonRecord[], relatives: readonly PersonRecord[], n: number): Promise<{ perSecond: number; submitPerSecond: number }> {
  const { database, done } = await freshStore();
  const accessLog = openAccessLog(database);
  const registry = new RegistryService({ db: database.db, clock: systemClock });
  const { privateKey } = generateKeyPairSync('ed25519');
  const stack = createProcedures({ db: database.db, clock: systemClock, registry, accessLog, unitOf, accountStatusOf: () => Promise.resolve(undefined), keyId: 'bench', privateKey, pollMs: 5 });
  await stack.service.setEndpoint('bhxh', agencyUrl);
  stack.runner.start();
  const started = performance.now();
  for (let i = 0; i < n; i++) {
    const p = people[i % people.length];
    const applicant = relatives[i % relatives.length];
    if (p === undefined || applicant === undefined) break;
    if (kind === 'birth') await stack.service.submitBirth({ applicantId: p.idNumber, officerId: null }, { child: { fullName: childName(i), birthDate: yesterday, sex: 'M' } });
    else await stack.service.submitDeath({ applicantId: applicant.idNumber, officerId: null }, { deceasedId: p.idNumber, deathDate: yesterday });
  }
  const submitted = performance.now();
  for (;;) {
    const row = await database.db.selectFrom('procedures').select((eb) => eb.fn.countAll<number>().as('n')).where('status', '=', 'done').executeTakeFirstOrThrow();
    if (row.n >= n) break;
    await new Promise((r) => setTimeout(r, 20));
  }
  const seconds = (performance.now() - started) / 1000;
  await stack.runner.stop();
  await accessLog.close();
  await done();
  return { perSecond: n / seconds, submitPerSecond: n / ((submitted - started) / 1000) };
}

const { database: probe, done: closeProbe } = await freshStore();
// Applicants (and, for deaths, the persons who die): living adults of a resolvable commune, each used once per kind.
const people = await applicants(probe, Math.max(births, deaths * 2));
await closeProbe();
const rows: string[] = [];
for (const [kind, n] of [['birth', Math.min(births, people.length)], ['death', Math.min(deaths, Math.floor(people.length / 2))]] as const) {
  const subjects = kind === 'death' ? people.filter((_, i) => i % 2 === 0) : people;
  const relatives = people.filter((_, i) => i % 2 === 1);
  const base = await baseline(kind, subjects, n);
  const proc = await procedures(kind, subjects, relatives, n);
  rows.push(`| ${kind} | ${String(n)} | ${String(round(base))}/s | ${String(round(proc.submitPerSecond))}/s | ${String(round(proc.perSecond))}/s | ${(proc.perSecond / base).toFixed(2)} |`);
}
agencyServer.close();
console.log(`store ${values.store === 'sqlite' ? 'sqlite' : 'postgres'}, ${values.people} people`);
console.log('| kind | applications | registry steps alone | submissions | procedures completed | completed ÷ alone |');
console.log('|---|---|---|---|---|---|');
for (const r of rows) console.log(r);
