import { sql, type Kysely } from 'kysely';

/**
 * Finding statuses named as a quality officer tells them apart: fixed → no_longer_failing (a later
 * check no longer finds it), resolved → corrected (an officer's correction made it pass),
 * distinct → not_duplicate (two persons, not one registered twice).
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await sql`update quality_findings set status = case status when 'fixed' then 'no_longer_failing' when 'resolved' then 'corrected' when 'distinct' then 'not_duplicate' else status end
            where status in ('fixed', 'resolved', 'distinct')`.execute(db);
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await sql`update quality_findings set status = case status when 'no_longer_failing' then 'fixed' when 'corrected' then 'resolved' when 'not_duplicate' then 'distinct' else status end
            where status in ('no_longer_failing', 'corrected', 'not_duplicate')`.execute(db);
}
