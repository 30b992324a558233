import pg from 'pg';

/** The PostgreSQL server the store tests run against (CI starts it; tests fail, not skip, without it). */
export const postgresServerUrl = 'postgres://postgres@127.0.0.1:5432';
/**
 * One template per test run (named by the run's process id, passed to the test workers through
 * the environment) so that concurrent runs on one machine never drop each other's template.
 */
export const templateDatabase = process.env.SACHSONG_TEST_TEMPLATE ?? `sachsong_test_template_${process.pid}`;

export async function withAdminClient<T>(work: (client: pg.Client) => Promise<T>): Promise<T> {
  const client = new pg.Client({ connectionString: `${postgresServerUrl}/postgres` });
  await client.connect();
  try {
    return await work(client);
  } finally {
    await client.end();
  }
}
