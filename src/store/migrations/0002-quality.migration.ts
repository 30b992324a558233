import type { Kysely } from 'kysely';
import type { Dialect } from '../dialect.js';

/** The quality engine: findings, the officers' actions on them, scans and score snapshots. */
export async function up(db: Kysely<unknown>, dialect: Dialect): Promise<void> {
  const real = dialect === 'postgres' ? 'double precision' : 'real';
  await db.schema
    .createTable('quality_findings')
    .addColumn('finding_id', 'text', (c) => c.primaryKey())
    .addColumn('rule_id', 'text', (c) => c.notNull())
    .addColumn('score_group', 'text', (c) => c.notNull())
    .addColumn('severity', 'text', (c) => c.notNull())
    .addColumn('field', 'text', (c) => c.notNull())
    .addColumn('record_kind', 'text', (c) => c.notNull())
    .addColumn('record_id', 'text', (c) => c.notNull())
    .addColumn('related_id', 'text')
    .addColumn('commune_code', 'text', (c) => c.notNull())
    .addColumn('province_code', 'text', (c) => c.notNull())
    .addColumn('detail', 'text', (c) => c.notNull())
    .addColumn('detected_at', 'text', (c) => c.notNull())
    .addColumn('last_seen_at', 'text', (c) => c.notNull())
    .addColumn('status', 'text', (c) => c.notNull())
    .addColumn('closed_at', 'text')
    .execute();
  // The worklist reads a commune's open findings; the re-check reads a record's findings.
  await db.schema.createIndex('quality_findings_commune_idx').on('quality_findings').columns(['commune_code', 'status', 'rule_id']).execute();
  await db.schema.createIndex('quality_findings_province_idx').on('quality_findings').columns(['province_code', 'status']).execute();
  await db.schema.createIndex('quality_findings_record_idx').on('quality_findings').columns(['record_id']).execute();
  await db.schema.createIndex('quality_findings_related_idx').on('quality_findings').columns(['related_id']).execute();

  await db.schema
    .createTable('quality_actions')
    .addColumn('action_id', 'text', (c) => c.primaryKey())
    .addColumn('finding_id', 'text', (c) => c.notNull())
    .addColumn('action', 'text', (c) => c.notNull())
    .addColumn('officer_id', 'text', (c) => c.notNull())
    .addColumn('reason', 'text', (c) => c.notNull())
    .addColumn('event_id', 'text')
    .addColumn('acted_at', 'text', (c) => c.notNull())
    .execute();
  await db.schema.createIndex('quality_actions_finding_idx').on('quality_actions').columns(['finding_id', 'acted_at']).execute();

  await db.schema
    .createTable('quality_scans')
    .addColumn('scan_id', 'text', (c) => c.primaryKey())
    .addColumn('kind', 'text', (c) => c.notNull())
    .addColumn('started_at', 'text', (c) => c.notNull())
    .addColumn('finished_at', 'text', (c) => c.notNull())
    .addColumn('persons', 'integer', (c) => c.notNull())
    .addColumn('findings_open', 'integer', (c) => c.notNull())
    .addColumn('findings_new', 'integer', (c) => c.notNull())
    .addColumn('findings_fixed', 'integer', (c) => c.notNull())
    .execute();

  await db.schema
    .createTable('quality_scores')
    .addColumn('scan_id', 'text', (c) => c.notNull())
    .addColumn('taken_at', 'text', (c) => c.notNull())
    .addColumn('scope', 'text', (c) => c.notNull())
    .addColumn('scope_code', 'text', (c) => c.notNull())
    .addColumn('parent_code', 'text', (c) => c.notNull())
    .addColumn('score_group', 'text', (c) => c.notNull())
    .addColumn('records', 'integer', (c) => c.notNull())
    .addColumn('failing', 'integer', (c) => c.notNull())
    .addColumn('score', real, (c) => c.notNull())
    .addPrimaryKeyConstraint('quality_scores_pk', ['scan_id', 'scope', 'scope_code', 'score_group'])
    .execute();
  // Trend charts read one scope over time.
  await db.schema.createIndex('quality_scores_trend_idx').on('quality_scores').columns(['scope', 'scope_code', 'taken_at']).execute();
}

export async function down(db: Kysely<unknown>): Promise<void> {
  for (const table of ['quality_scores', 'quality_scans', 'quality_actions', 'quality_findings']) {
    await db.schema.dropTable(table).execute();
  }
}
