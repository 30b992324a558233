import type { Kysely } from 'kysely';
import type { Dialect } from '../dialect.js';

/**
 * The direction centre (src/direction): plans, tasks, milestones, their change history and
 * comments; indicator time series and refresh runs; released locality statistics with the
 * privacy budget each spent. In the registry's store, on both dialects.
 */
export async function up(db: Kysely<unknown>, dialect: Dialect): Promise<void> {
  const real = dialect === 'postgres' ? 'double precision' : 'real';
  await db.schema.createTable('direction_plans').ifNotExists()
    .addColumn('plan_id', 'text', (c) => c.primaryKey())
    .addColumn('title', 'text', (c) => c.notNull())
    .addColumn('reference', 'text', (c) => c.notNull())
    .addColumn('starts_on', 'text', (c) => c.notNull())
    .addColumn('ends_on', 'text', (c) => c.notNull())
    .addColumn('created_by', 'text', (c) => c.notNull())
    .addColumn('created_at', 'text', (c) => c.notNull())
    .execute();
  await db.schema.createTable('direction_tasks').ifNotExists()
    .addColumn('task_id', 'text', (c) => c.primaryKey())
    .addColumn('plan_id', 'text', (c) => c.notNull().references('direction_plans.plan_id'))
    .addColumn('code', 'text', (c) => c.notNull())
    .addColumn('title', 'text', (c) => c.notNull())
    .addColumn('owner_kind', 'text', (c) => c.notNull())
    .addColumn('owner_agency', 'text', (c) => c.notNull())
    .addColumn('owner_agency_name', 'text', (c) => c.notNull())
    .addColumn('owner_officer', 'text', (c) => c.notNull())
    .addColumn('starts_on', 'text', (c) => c.notNull())
    .addColumn('deadline', 'text', (c) => c.notNull())
    .addColumn('indicator_id', 'text')
    .addColumn('indicator_scope', 'text', (c) => c.notNull().defaultTo(''))
    .addColumn('indicator_baseline', real)
    .addColumn('indicator_target', real)
    .addColumn('completed_on', 'text')
    .addColumn('version', 'integer', (c) => c.notNull())
    .addColumn('updated_at', 'text', (c) => c.notNull())
    .addUniqueConstraint('direction_tasks_plan_code', ['plan_id', 'code'])
    .execute();
  await db.schema.createTable('direction_milestones').ifNotExists()
    .addColumn('milestone_id', 'text', (c) => c.primaryKey())
    .addColumn('task_id', 'text', (c) => c.notNull().references('direction_tasks.task_id'))
    .addColumn('title', 'text', (c) => c.notNull())
    .addColumn('due_on', 'text', (c) => c.notNull())
    .addColumn('completed_on', 'text')
    .execute();
  await db.schema.createIndex('direction_milestones_task').ifNotExists().on('direction_milestones').columns(['task_id', 'due_on']).execute();
  await db.schema.createTable('direction_task_changes').ifNotExists()
    .addColumn('change_id', 'text', (c) => c.primaryKey())
    .addColumn('task_id', 'text', (c) => c.notNull())
    .addColumn('action', 'text', (c) => c.notNull())
    .addColumn('detail', 'text', (c) => c.notNull())
    .addColumn('changed_by', 'text', (c) => c.notNull())
    .addColumn('changed_at', 'text', (c) => c.notNull())
    .execute();
  await db.schema.createIndex('direction_task_changes_task').ifNotExists().on('direction_task_changes').columns(['task_id', 'changed_at']).execute();
  await db.schema.createTable('direction_comments').ifNotExists()
    .addColumn('comment_id', 'text', (c) => c.primaryKey())
    .addColumn('task_id', 'text', (c) => c.notNull())
    .addColumn('author', 'text', (c) => c.notNull())
    .addColumn('body', 'text', (c) => c.notNull())
    .addColumn('created_at', 'text', (c) => c.notNull())
    .execute();
  await db.schema.createIndex('direction_comments_task').ifNotExists().on('direction_comments').columns(['task_id', 'created_at']).execute();
  await db.schema.createTable('direction_indicator_values').ifNotExists()
    .addColumn('indicator_id', 'text', (c) => c.notNull())
    .addColumn('scope', 'text', (c) => c.notNull())
    .addColumn('scope_code', 'text', (c) => c.notNull())
    .addColumn('day', 'text', (c) => c.notNull())
    .addColumn('value', real, (c) => c.notNull())
    .addColumn('denominator', real)
    .addColumn('computed_at', 'text', (c) => c.notNull())
    .addPrimaryKeyConstraint('direction_indicator_values_pk', ['indicator_id', 'scope', 'scope_code', 'day'])
    .execute();
  // The dashboard's "all provinces (or communes) on the latest day" reads by day first.
  await db.schema.createIndex('direction_indicator_values_day').ifNotExists().on('direction_indicator_values').columns(['indicator_id', 'scope', 'day']).execute();
  await db.schema.createTable('direction_indicator_runs').ifNotExists()
    .addColumn('run_id', 'text', (c) => c.primaryKey())
    .addColumn('trigger', 'text', (c) => c.notNull())
    .addColumn('day', 'text', (c) => c.notNull())
    .addColumn('started_at', 'text', (c) => c.notNull())
    .addColumn('finished_at', 'text', (c) => c.notNull())
    .addColumn('indicators', 'integer', (c) => c.notNull())
    .addColumn('values_written', 'integer', (c) => c.notNull())
    .addColumn('failures', 'text', (c) => c.notNull())
    .execute();
  await db.schema.createTable('direction_statistics_releases').ifNotExists()
    .addColumn('release_id', 'text', (c) => c.primaryKey())
    .addColumn('table_name', 'text', (c) => c.notNull())
    .addColumn('scope_code', 'text', (c) => c.notNull())
    .addColumn('period', 'text', (c) => c.notNull())
    .addColumn('epsilon', real, (c) => c.notNull())
    .addColumn('body', 'text', (c) => c.notNull())
    .addColumn('released_by', 'text', (c) => c.notNull())
    .addColumn('released_at', 'text', (c) => c.notNull())
    .addUniqueConstraint('direction_statistics_releases_once', ['table_name', 'scope_code', 'period'])
    .execute();
}

export async function down(db: Kysely<unknown>): Promise<void> {
  for (const table of ['direction_statistics_releases', 'direction_indicator_runs', 'direction_indicator_values', 'direction_comments', 'direction_task_changes', 'direction_milestones', 'direction_tasks', 'direction_plans']) {
    await db.schema.dropTable(table).ifExists().execute();
  }
}
