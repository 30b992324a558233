import pg from 'pg';

/** The PostgreSQL server the store tests run against (CI starts it; tests fail, not skip, without it). */
export const postgresServerUrl = 'postgres://postgres@127.0.0.1:5432';
export const templateDatabase = 'sachsong_test_template';

export async function withAdminClient<T>(work: (client: pg.Client) => Promise<T>): Promise<T> {
  const client = new pg.Client({ connectionString: `${postgresServerUrl}/postgres` });
  await client.connect();
  try {
    return await work(client);
  } finally {
    await client.end();
  }
}
