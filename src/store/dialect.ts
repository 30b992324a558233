/** The two stores sachsong runs on: SQLite embedded by default, PostgreSQL in production. */
export type Dialect = 'sqlite' | 'postgres';

export const dialects: readonly Dialect[] = ['sqlite', 'postgres'];
