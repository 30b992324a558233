/**
 * Child process of change-events-faults.test.ts: an agency's webhook endpoint on the given port
 * that appends each received event id to the given file (synchronously, before answering 200),
 * so that what was applied survives its SIGKILL.
 */
import { appendFileSync } from 'node:fs';
import { createServer } from 'node:http';

const [port = '0', file = ''] = process.argv.slice(2);
const server = createServer((req, res) => {
  const chunks: Buffer[] = [];
  req.on('data', (c: Buffer) => chunks.push(c));
  req.on('end', () => {
    const body = JSON.parse(Buffer.concat(chunks).toString('utf8')) as { events: { eventId: string; seq: number; personId: string }[] };
    appendFileSync(file, body.events.map((e) => `${e.eventId} ${e.seq} ${e.personId}\n`).join(''));
    res.writeHead(200).end();
  });
});
server.listen(Number(port), '127.0.0.1', () => { process.stdout.write('listening\n'); });
