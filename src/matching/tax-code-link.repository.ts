import type { Kysely, Selectable } from 'kysely';
import type { DB } from '../store/database.types.js';
import { fastRead } from '../store/fast-read.js';

export const taxCodeLinkStatuses = ['confirmed', 'probable'] as const;
export type TaxCodeLinkStatus = (typeof taxCodeLinkStatuses)[number];
export type TaxCodeLinkSourceKind = 'linking_run' | 'officer';

/** One old tax code and the person it belongs to (migration 0050). */
export interface TaxCodeLinksTable {
  /** 10 digits, or 10 digits, a hyphen and a 3-digit branch number (tax-code.ts). */
  old_tax_code: string;
  /** The person's ID number (their tax code since 1 July 2025). */
  person_id: string;
  /** confirmed: the ID number, name and birth date agree; probable: found by matching, to be checked. */
  status: TaxCodeLinkStatus;
  source_kind: TaxCodeLinkSourceKind;
  /** The linking run's id, or the officer's id. */
  source_ref: string;
  established_at: string;
  updated_at: string;
}

/** One run of the linking job that wrote links: what it read and what it changed. */
export interface TaxCodeLinkRunsTable {
  run_id: string;
  /** The register's file name only (paths can name people or cases). */
  source_name: string;
  input_sha256: string;
  started_at: string;
  finished_at: string;
  written: number;
  unchanged: number;
  malformed: number;
  /** JSON: outcome counts of the run. */
  summary: string;
}

export interface TaxCodeLink {
  readonly oldTaxCode: string;
  readonly personId: string;
  readonly status: TaxCodeLinkStatus;
  readonly sourceKind: TaxCodeLinkSourceKind;
  readonly sourceRef: string;
  readonly establishedAt: string;
  readonly updatedAt: string;
}

type Values = [string, string, string, string, string, string, string];

const toLink = (r: Selectable<TaxCodeLinksTable>): TaxCodeLink => ({
  oldTaxCode: r.old_tax_code, personId: r.person_id, status: r.status, sourceKind: r.source_kind, sourceRef: r.source_ref, establishedAt: r.established_at, updatedAt: r.updated_at,
});

const toRow = (l: TaxCodeLink): TaxCodeLinksTable => ({
  old_tax_code: l.oldTaxCode, person_id: l.personId, status: l.status, source_kind: l.sourceKind, source_ref: l.sourceRef, established_at: l.establishedAt, updated_at: l.updatedAt,
});

const columns = ['old_tax_code', 'person_id', 'status', 'source_kind', 'source_ref', 'established_at', 'updated_at'] as const;
const sqliteByCodeSql = `SELECT ${columns.join(', ')} FROM tax_code_links WHERE old_tax_code = ?`;

/** Old tax code links. Every function takes the Kysely handle or a transaction first. */
export const taxCodeLinkRepository = {
  /** One code's link: the exchange's hot read by key (store/fast-read.ts on SQLite). */
  find(db: Kysely<DB>, oldTaxCode: string): Promise<TaxCodeLink | undefined> {
    return fastRead(db, sqliteByCodeSql, [oldTaxCode], (v: Values | undefined) => (v === undefined ? undefined : {
      oldTaxCode: v[0], personId: v[1], status: v[2] as TaxCodeLinkStatus, sourceKind: v[3] as TaxCodeLinkSourceKind, sourceRef: v[4], establishedAt: v[5], updatedAt: v[6],
    }), async () => {
      const row = await db.selectFrom('tax_code_links').selectAll().where('old_tax_code', '=', oldTaxCode).executeTakeFirst();
      return row === undefined ? undefined : toLink(row);
    });
  },

  async findMany(db: Kysely<DB>, oldTaxCodes: readonly string[]): Promise<ReadonlyMap<string, TaxCodeLink>> {
    const out = new Map<string, TaxCodeLink>();
    for (let i = 0; i < oldTaxCodes.length; i += 500) {
      const chunk = oldTaxCodes.slice(i, i + 500);
      for (const row of await db.selectFrom('tax_code_links').selectAll().where('old_tax_code', 'in', chunk).execute()) out.set(row.old_tax_code, toLink(row));
    }
    return out;
  },

  async forPerson(db: Kysely<DB>, personId: string): Promise<readonly TaxCodeLink[]> {
    return (await db.selectFrom('tax_code_links').selectAll().where('person_id', '=', personId).orderBy('old_tax_code').execute()).map(toLink);
  },

  /** Inserts or replaces links, 500 a statement. */
  async upsertMany(db: Kysely<DB>, links: readonly TaxCodeLink[]): Promise<void> {
    for (let i = 0; i < links.length; i += 500) {
      const chunk = links.slice(i, i + 500).map(toRow);
      await db.insertInto('tax_code_links').values(chunk).onConflict((oc) => oc.column('old_tax_code').doUpdateSet((eb) => ({
        person_id: eb.ref('excluded.person_id'),
        status: eb.ref('excluded.status'),
        source_kind: eb.ref('excluded.source_kind'),
        source_ref: eb.ref('excluded.source_ref'),
        established_at: eb.ref('excluded.established_at'),
        updated_at: eb.ref('excluded.updated_at'),
      }))).execute();
    }
  },

  async insertRun(db: Kysely<DB>, run: TaxCodeLinkRunsTable): Promise<void> {
    await db.insertInto('tax_code_link_runs').values(run).execute();
  },

  async findRun(db: Kysely<DB>, runId: string): Promise<Selectable<TaxCodeLinkRunsTable> | undefined> {
    return db.selectFrom('tax_code_link_runs').selectAll().where('run_id', '=', runId).executeTakeFirst();
  },
};
