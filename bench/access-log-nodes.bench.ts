/**
 * The access log's appends per second with 1 and then 2 nodes (processes) appending to one
 * PostgreSQL store at once, in the same run: the log's single sequence is kept by each batch
 * transaction locking the head row first (access-log.writer.ts, postgresTree), each node
 * group-committing its own appends and reloading the frontier under the lock when another node
 * moved it.
 *
 *   npx tsx bench/access-log-nodes.bench.ts [--seconds 10] [--in-flight 32] [--rounds 1]
 *
 * Each node runs test/access-log-node.child.ts: `--in-flight` appends outstanding at a time (as
 * concurrent requests on a server would), single records. Prints one JSON line per node count:
 * appends per second in total and per node, appends refused as contended, and whether the log
 * verifies (dense, no fork) afterwards. Creates databases on postgres://postgres@127.0.0.1:5432.
 */
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import os from 'node:os';
import { parseArgs } from 'node:util';
import pg from 'pg';
import { AuditService } from '../src/audit/audit.service.js';
import { generateSignerKey, parseSignerKey } from '../src/audit/checkpoint-note.js';
import { systemClock } from '../src/shared/clock.js';
import { openDatabase } from '../src/store/database.js';
import { migrateToLatest } from '../src/store/migrator.js';

const { values } = parseArgs({
  options: {
    seconds: { type: 'string', default: '10' },
    'in-flight': { type: 'string', default: '32' },
    rounds: { type: 'string', default: '1' },
    server: { type: 'string', default: 'postgres://postgres@127.0.0.1:5432' },
  },
});

async function admin(sql: string): Promise<void> {
  const client = new pg.Client({ connectionString: `${values.server}/postgres` });
  await client.connect();
  try {
    await client.query(sql);
  } finally {
    await client.end();
  }
}

interface NodeResult { readonly node: string; readonly appended: number; readonly contended: number; readonly seconds: number }

async function run(nodes: number): Promise<void> {
  const name = `sachsong_bench_log_${process.pid}_${nodes}`;
  await admin(`DROP DATABASE IF EXISTS ${name}`);
  await admin(`CREATE DATABASE ${name}`);
  const url = `${values.server}/${name}`;
  const database = openDatabase({ databaseUrl: url, poolSize: 2 });
  try {
    await migrateToLatest(database.db, database.dialect);
    const children = Array.from({ length: nodes }, (_, n) =>
      spawn(process.execPath, ['--import', 'tsx', 'test/access-log-node.child.ts', url, `node${n + 1}`, values.seconds, values['in-flight'], '--seconds'], { stdio: ['pipe', 'pipe', 'inherit'] }));
    const results = children.map((child) => {
      let out = '';
      child.stdout.on('data', (b: Buffer) => (out += b.toString()));
      return once(child, 'exit').then(() => JSON.parse(out) as NodeResult);
    });
    await new Promise((r) => setTimeout(r, 5_000)); // modules loaded everywhere, then all start at once
    for (const child of children) child.stdin.end('go\n');
    const done = await Promise.all(results);
    const appended = done.reduce((n, r) => n + r.appended, 0);
    const seconds = Math.max(...done.map((r) => r.seconds));
    const audit = new AuditService({ db: database.db, signer: parseSignerKey(generateSignerKey('bench.sachsong/access-log')), clock: systemClock });
    const report = await audit.verify();
    console.log(JSON.stringify({
      bench: 'access-log-nodes',
      nodes,
      inFlightPerNode: Number(values['in-flight']),
      appended,
      appendsPerSecond: Math.round(appended / seconds),
      perNode: done.map((r) => Math.round(r.appended / r.seconds)),
      contended: done.reduce((n, r) => n + r.contended, 0),
      treeSize: report.treeSize,
      verifies: report.problems.length === 0 && report.treeSize === appended,
      loadAverage: os.loadavg().map((l) => Math.round(l * 100) / 100),
    }));
  } finally {
    await database.close();
    await admin(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
  }
}

for (let round = 0; round < Number(values.rounds); round++) {
  await run(1);
  await run(2);
}
