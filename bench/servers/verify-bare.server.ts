// The baseline for the verify bench: a bare Fastify route that parses the same JSON body and
// answers a constant, in its own process like the app it is compared with.
import Fastify from 'fastify';

const app = Fastify({ logger: false });
app.post('/api/verify', () => ({ match: true, status: 'MATCH', fields: {}, strategy: 'exact' }));
const address = await app.listen({ host: '127.0.0.1', port: 0 });
process.stdout.write(`${address}\n`);
