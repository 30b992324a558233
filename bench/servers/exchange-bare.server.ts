// The baseline for the exchange bench: a bare Fastify route that parses the same JSON body
// and answers a constant, in its own process like the server it is compared with.
import Fastify from 'fastify';

const app = Fastify({ logger: false });
app.post('/x/services/verify', () => ({ match: true }));
const address = await app.listen({ host: '127.0.0.1', port: 0 });
process.stdout.write(`${address}\n`);
