/**
 * The hot tables whole against hash-partitioned by person (src/store/partitioning.ts), side by
 * side in one run, on PostgreSQL: bytes a person and an access record with their indexes, the
 * access log's appends per second from one process, and person-by-ID lookups per second.
 *
 *   npx tsx bench/partitioned-tables.bench.ts [--people 20000] [--records 20000] [--partitions 16] [--lookups 5000] [--rounds 2]
 *
 * Creates two databases on postgres://postgres@127.0.0.1:5432 and drops them afterwards.
 * Prints one JSON line per layout.
 */
import { parseArgs } from 'node:util';
import pg from 'pg';
import { sql } from 'kysely';
import { openAccessLog } from '../src/audit/access-log.service.js';
import { generatePopulation } from '../src/registry/population.generator.js';
import { personRepository } from '../src/registry/person.repository.js';
import { loadPopulation } from '../src/store/bulk-writer.js';
import { openDatabase, type Database } from '../src/store/database.js';
import { migrateToLatest } from '../src/store/migrator.js';
import { partitionHotTables } from '../src/store/partitioning.js';
import { testAccessRecord } from '../test/access-record.fixture.js';

const { values } = parseArgs({
  options: {
    people: { type: 'string', default: '20000' },
    records: { type: 'string', default: '20000' },
    partitions: { type: 'string', default: '16' },
    lookups: { type: 'string', default: '5000' },
    rounds: { type: 'string', default: '2' },
    server: { type: 'string', default: 'postgres://postgres@127.0.0.1:5432' },
  },
});

async function admin(text: string): Promise<void> {
  const client = new pg.Client({ connectionString: `${values.server}/postgres` });
  await client.connect();
  try {
    await client.query(text);
  } finally {
    await client.end();
  }
}

/** Bytes of a table with its indexes, its partitions' included. */
async function bytes(database: Database, table: string): Promise<number> {
  // pg_partition_tree lists a partitioned table's parts; a plain table is counted by itself.
  const r = await sql<{ n: string }>`select greatest(pg_total_relation_size(${table}::regclass), (select coalesce(sum(pg_total_relation_size(relid)), 0) from pg_partition_tree(${table}::regclass)))::text as n`.execute(database.db);
  return Number(r.rows[0]?.n ?? 0);
}

const cpu = (): number => { const u = process.cpuUsage(); return (u.user + u.system) / 1e6; };

async function layout(partitioned: boolean): Promise<Record<string, unknown>> {
  const name = `sachsong_bench_partition_${process.pid}_${partitioned ? 'hash' : 'whole'}`;
  await admin(`DROP DATABASE IF EXISTS ${name}`);
  await admin(`CREATE DATABASE ${name}`);
  const database = openDatabase({ databaseUrl: `${values.server}/${name}`, poolSize: 4 });
  try {
    await migrateToLatest(database.db, database.dialect);
    if (partitioned) await partitionHotTables(database.db, database.dialect, Number(values.partitions));
    const people = Number(values.people);
    await loadPopulation(database, generatePopulation({ people, seed: 3, today: '2026-01-01' }));
    await sql`analyze`.execute(database.db);
    const ids = (await database.db.selectFrom('persons').select('id_number').execute()).map((r) => r.id_number);

    // The log: single records, 32 in flight, group-committed, as a node's requests append them.
    const log = openAccessLog(database);
    const records = Number(values.records);
    let next = 0;
    const t0 = performance.now();
    const c0 = cpu();
    await Promise.all(Array.from({ length: 32 }, async () => {
      while (next < records) {
        const i = next++;
        await log.append(testAccessRecord(i, { personId: ids[(i * 7919) % ids.length] ?? '' }));
      }
    }));
    const appendSeconds = (performance.now() - t0) / 1000;
    const appendCpu = cpu() - c0;
    await log.indexed();
    await log.close();

    // Person by ID through the registry's repository, 16 in flight.
    const lookups = Number(values.lookups);
    let done = 0;
    const l0 = performance.now();
    await Promise.all(Array.from({ length: 16 }, async () => {
      while (done < lookups) {
        const i = done++;
        await personRepository.findById(database.db, ids[(i * 104_729) % ids.length] ?? '');
      }
    }));
    const lookupSeconds = (performance.now() - l0) / 1000;
    return {
      layout: partitioned ? `hash by person, ${values.partitions} partitions` : 'whole tables',
      people, records,
      personBytes: Math.round((await bytes(database, 'persons')) / people),
      recordBytes: Math.round(((await bytes(database, 'access_records')) + (await bytes(database, 'access_person_entries')) + (await bytes(database, 'access_log_nodes'))) / records),
      appendsPerSecond: Math.round(records / appendSeconds),
      appendCpuMicrosPerRecord: Math.round((appendCpu * 1e6) / records),
      lookupsPerSecond: Math.round(lookups / lookupSeconds),
    };
  } finally {
    await database.close();
    await admin(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
  }
}

// Alternating, so that neither layout always runs on a warmer (or busier) machine.
for (let round = 0; round < Number(values.rounds); round++) {
  for (const partitioned of round % 2 === 0 ? [false, true] : [true, false]) console.log(JSON.stringify({ round, ...(await layout(partitioned)) }));
}
