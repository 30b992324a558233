// The ceiling for person-by-ID on SQLite: a bare Fastify route doing only a prepared
// better-sqlite3 lookup and JSON.stringify of the row (no auth, no view, no metrics, no Kysely).
// argv: <sqlite file>
import SQLite from 'better-sqlite3';
import Fastify from 'fastify';

const [file = ''] = process.argv.slice(2);
const sqlite = new SQLite(file, { readonly: true });
// The store's read settings (openDatabase), so that this stays the ceiling for the same store.
sqlite.pragma('cache_size = -65536');
sqlite.pragma('mmap_size = 2147418112');
const byId = sqlite.prepare('select * from persons where id_number = ?');
const app = Fastify({ logger: false });
app.get('/api/persons/:id', (request, reply) => {
  const row: unknown = byId.get((request.params as { id: string }).id);
  return row === undefined ? reply.status(404).send({ code: 'PERSON_NOT_FOUND' }) : row;
});
const address = await app.listen({ host: '127.0.0.1', port: 0 });
process.stdout.write(`${address}\n`);
