import { sql, type Kysely } from 'kysely';
import { DomainError } from '../shared/domain-error.js';
import type { DB } from './database.types.js';
import type { Dialect } from './dialect.js';

/**
 * The hot tables a nation's PostgreSQL may hash-partition by person (docs/scale.md), with the
 * column that is the person's id in each. Every per-person query filters on it, so each runs on
 * one partition; these are also Citus's distribution keys when one primary is not enough.
 * life_events is left whole: its unique event id cannot be enforced across hash partitions on
 * another column.
 */
export const partitionedByPerson = [
  { table: 'persons', key: 'id_number' },
  { table: 'access_records', key: 'person_id' },
  { table: 'access_person_entries', key: 'person_id' },
] as const;

export interface PartitionOutcome {
  readonly table: string;
  /** False when the table was partitioned already (nothing done). */
  readonly partitioned: boolean;
  readonly partitions: number;
  readonly rows: number;
}

/**
 * Turns the hot tables into hash-partitioned tables by person id, `partitions` partitions each,
 * keeping their rows, columns, checks, keys and indexes: one transaction, taking each table's
 * lock (run it with the nodes stopped, or at a quiet hour: rows are copied). A primary key that
 * lacks the person's column gets it appended (PostgreSQL requires the partition key in every
 * unique key): access_records' key becomes (idx, person_id), idx staying unique through the log's
 * one sequencer. Tables already partitioned are left as they are.
 *
 * @example
 * await partitionHotTables(database.db, database.dialect, 16);
 */
export async function partitionHotTables(db: Kysely<DB>, dialect: Dialect, partitions: number): Promise<readonly PartitionOutcome[]> {
  if (dialect !== 'postgres') {
    throw new DomainError('invalid', 'PARTITIONING_NEEDS_POSTGRES', 'hash partitions are a PostgreSQL feature; the embedded SQLite store keeps one table each', 'Run this against the PostgreSQL store (DATABASE_URL)');
  }
  if (!Number.isInteger(partitions) || partitions < 2 || partitions > 1024) {
    throw new DomainError('invalid', 'PARTITION_COUNT_INVALID', 'the number of partitions must be a whole number from 2 to 1024', 'Give --partitions 16, for example (a power of two splits evenly again later)');
  }
  return db.transaction().execute(async (trx) => {
    const outcomes: PartitionOutcome[] = [];
    for (const { table, key } of partitionedByPerson) {
      const already = await sql<{ n: number }>`select count(*)::int as n from pg_partitioned_table where partrelid = to_regclass(${table})`.execute(trx);
      if ((already.rows[0]?.n ?? 0) > 0) {
        outcomes.push({ table, partitioned: false, partitions: (await sql<{ n: number }>`select count(*)::int as n from pg_inherits where inhparent = to_regclass(${table})`.execute(trx)).rows[0]?.n ?? 0, rows: 0 });
        continue;
      }
      // The keys and indexes as PostgreSQL prints them, to make again on the partitioned table.
      const keys = (await sql<{ name: string; definition: string }>`select conname as name, pg_get_constraintdef(oid) as definition from pg_constraint where conrelid = to_regclass(${table}) and contype in ('p', 'u')`.execute(trx)).rows;
      const indexes = (await sql<{ definition: string }>`select indexdef as definition from pg_indexes where schemaname = current_schema() and tablename = ${table}
        and indexname not in (select conname from pg_constraint where conrelid = to_regclass(${table}) and contype in ('p', 'u'))`.execute(trx)).rows;
      const whole = `${table}_unpartitioned`;
      await sql`alter table ${sql.table(table)} rename to ${sql.table(whole)}`.execute(trx);
      await sql`create table ${sql.table(table)} (like ${sql.table(whole)} including defaults including constraints) partition by hash (${sql.ref(key)})`.execute(trx);
      for (let i = 0; i < partitions; i++) {
        await sql`create table ${sql.table(`${table}_p${i}`)} partition of ${sql.table(table)} for values with (modulus ${sql.lit(partitions)}, remainder ${sql.lit(i)})`.execute(trx);
      }
      const copied = await sql`insert into ${sql.table(table)} select * from ${sql.table(whole)}`.execute(trx);
      await sql`drop table ${sql.table(whole)}`.execute(trx);
      for (const k of keys) {
        const definition = k.definition.includes(key) ? k.definition : k.definition.replace(/\)$/, `, ${key})`);
        await sql`alter table ${sql.table(table)} add constraint ${sql.ref(k.name)} ${sql.raw(definition)}`.execute(trx);
      }
      // The index definitions name the table, which is now the partitioned one; each partition gets its own.
      for (const index of indexes) await sql.raw(index.definition).execute(trx);
      outcomes.push({ table, partitioned: true, partitions, rows: Number(copied.numAffectedRows ?? 0n) });
    }
    return outcomes;
  });
}
