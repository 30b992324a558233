// Change events (src/events): how fast the dispatcher moves the outbox into JetStream with publish
// acknowledgements, and how long from a commit to the subscriber's webhook.
//   npx tsx bench/events-dispatch.bench.ts [--events 50000] [--batch 2000] [--publish-batch 10000] [--rounds 2]
//       [--rates 1000,10000] [--seconds 5] [--people 20000] [--sources registry,outbox] [--modes embedded,jetstream]
//       [--inflight 16] [--dialect sqlite|postgres] [--phases dispatch,latency] [--nats <url>]
// Phase 1 (dispatch): an outbox filled with --events change events, then in each of --rounds, one
//   after another in the same run (each into a stream of its own):
//   - rawLibrary: the same payloads published straight to JetStream (no store) with the library's
//     js.publish, windows of --batch awaited (the earlier baseline);
//   - rawAsync: the same payloads straight to JetStream as asynchronous publishes (one reply
//     inbox, acks pipelined: JetStreamLink.publishEncoded, unchained), batches of --publish-batch;
//   - dispatcher: EventDispatcher.publishPass (read the outbox after its cursor, publish chained
//     with Nats-Msg-Id, await every ack, move the cursor) until the outbox is drained.
//   Events a second, this process's CPU per event (process.cpuUsage; nats-server not included),
//   and the load average (1 min) before and after each.
// Phase 2 (commit → webhook), per --sources, --rates and --modes, for --seconds:
//   - registry: moves recorded through RegistryService.recordEvent (one transaction each, outbox
//     included), at most --inflight waiting at once;
//   - outbox: change events committed to the outbox (outboxRepository.append) every millisecond
//     or so, those due in one transaction: the dispatch and delivery path at rates beyond what
//     the registry's own commit reaches in this process.
//   Dispatched embedded (outbox → deliveries) or through JetStream, pushed signed to a loopback
//   webhook. Latency = time the webhook received the event − time its commit resolved (same
//   process and clock); p50/p99, the rate reached, CPU per event and the load average.
// Without --nats a private nats-server (/usr/sbin/nats-server) is started on a free port with a temp store.
// --dialect postgres makes a database on postgres://postgres@127.0.0.1:5432 per phase and drops it.
import { generateKeyPairSync, randomUUID } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { loadavg, tmpdir } from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { jetstream } from '@nats-io/jetstream';
import { openAccessLog } from '../src/audit/access-log.service.js';
import type { OutboxEntry } from '../src/events/change-event.js';
import { EventDispatcher, jetstreamCursor } from '../src/events/event.dispatcher.js';
import { JetStreamLink, type StreamMessage } from '../src/events/jetstream.link.js';
import { encodeStreamRows, outboxRepository } from '../src/events/outbox.repository.js';
import { subscriptionRepository } from '../src/events/subscription.repository.js';
import { WebhookDeliverer } from '../src/events/webhook.deliverer.js';
import { adminUnitCatalog } from '../src/registry/admin-unit.catalog.js';
import { generatePopulation } from '../src/registry/population.generator.js';
import { RegistryService } from '../src/registry/registry.service.js';
import { systemClock } from '../src/shared/clock.js';
import { loadPopulation } from '../src/store/bulk-writer.js';
import { openDatabase, type Database } from '../src/store/database.js';
import { migrateToLatest } from '../src/store/migrator.js';
import { faultGrant } from '../test/change-events.harness.js';
import { startPrivateNats, type PrivateNats } from '../test/nats-server.js';
import { postgresServerUrl, withAdminClient } from '../test/postgres-admin.js';

const { values } = parseArgs({
  options: {
    events: { type: 'string', default: '50000' },
    batch: { type: 'string', default: '2000' },
    'publish-batch': { type: 'string', default: '10000' },
    rounds: { type: 'string', default: '2' },
    rates: { type: 'string', default: '1000,10000' },
    seconds: { type: 'string', default: '5' },
    people: { type: 'string', default: '20000' },
    sources: { type: 'string', default: 'registry,outbox' },
    modes: { type: 'string', default: 'embedded,jetstream' },
    inflight: { type: 'string', default: '16' },
    dialect: { type: 'string', default: 'sqlite' },
    phases: { type: 'string', default: 'dispatch,latency' },
    nats: { type: 'string' },
  },
});
const events = Number(values.events);
const batch = Number(values.batch);
const publishBatch = Number(values['publish-batch']);
const rounds = Number(values.rounds);
const rates = values.rates.split(',').map(Number);
const seconds = Number(values.seconds);
const people = Number(values.people);
const sources = values.sources.split(',') as ('registry' | 'outbox')[];
const modes = values.modes.split(',') as ('embedded' | 'jetstream')[];
const inflightCap = Number(values.inflight);
const dialect = values.dialect;
if (dialect !== 'sqlite' && dialect !== 'postgres') throw new Error('--dialect must be sqlite or postgres');
const phases = values.phases.split(',');

const round = (v: number, digits = 1): number => Math.round(v * 10 ** digits) / 10 ** digits;
const quantile = (sorted: readonly number[], q: number): number => round(sorted[Math.floor(q * (sorted.length - 1))] ?? NaN, 1);
const load = (): number => round(loadavg()[0] ?? NaN, 2);
let stores = 0;

async function freshStore(): Promise<{ database: Database; done: () => Promise<void> }> {
  if (dialect === 'postgres') {
    const name = `sachsong_bench_events_${process.pid}_${stores++}`;
    await withAdminClient((admin) => admin.query(`CREATE DATABASE ${name}`));
    const database = openDatabase({ databaseUrl: `${postgresServerUrl}/${name}`, poolSize: 8 });
    await migrateToLatest(database.db, database.dialect);
    return { database, done: async () => { await database.close(); await withAdminClient((admin) => admin.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`)); } };
  }
  const dir = mkdtempSync(path.join(tmpdir(), 'sachsong-events-bench-'));
  const database = openDatabase({ sqliteFile: path.join(dir, 'bench.db') });
  await migrateToLatest(database.db, database.dialect);
  return { database, done: async () => { await database.close(); rmSync(dir, { recursive: true, force: true }); } };
}

function syntheticEvent(i: number, personId = `0010850${String(i % 100_000).padStart(5, '0')}`): OutboxEntry {
  return {
    eventId: randomUUID(),
    personId,
    type: 'residence_change',
    occurredOn: '2026-11-01',
    recordedAt: new Date(Date.UTC(2026, 10, 1) + i).toISOString(),
    provinces: ['01', '79'],
    data: { permanentResidence: { communeCode: '00004', address: `Số ${i} đường Láng` } },
  };
}

/** CPU time (µs, user + system) of the private nats-server so far; undefined with --nats. */
function natsCpuMicros(): number | undefined {
  const pid = nats?.pid();
  if (pid === undefined) return undefined;
  // /proc/<pid>/stat: utime and stime are fields 14 and 15, in clock ticks (100 a second); the name field may hold spaces, so count after its ')'.
  const fields = readFileSync(`/proc/${String(pid)}/stat`, 'utf8').split(') ')[1]?.split(' ') ?? [];
  return (Number(fields[11]) + Number(fields[12])) * 10_000;
}

/** Runs `work`, and says how fast, at what CPU cost per event (this process; nats-server apart), under what load. */
async function timed(name: string, count: number, work: () => Promise<number>): Promise<Record<string, unknown>> {
  const loadBefore = load();
  const cpu0 = process.cpuUsage();
  const nats0 = natsCpuMicros();
  const t0 = performance.now();
  const moved = await work();
  const s = (performance.now() - t0) / 1000;
  const cpu = process.cpuUsage(cpu0);
  const nats1 = natsCpuMicros();
  if (moved !== count) throw new Error(`${name} moved ${moved} of ${count}`);
  return {
    name, eventsPerSecond: Math.round(moved / s), cpuMicrosPerEvent: round((cpu.user + cpu.system) / moved, 1),
    ...(nats0 === undefined || nats1 === undefined ? {} : { natsServerCpuMicrosPerEvent: round((nats1 - nats0) / moved, 1) }),
    load: [loadBefore, load()],
  };
}

let streams = 0;
const freshLink = (natsUrl: string): Promise<JetStreamLink> => {
  const n = `${Date.now()}_${streams++}`;
  return JetStreamLink.open(natsUrl, { streamName: `BENCH_${n}`, subjectPrefix: `bench_${n}` });
};

async function dispatchPhase(natsUrl: string): Promise<Record<string, unknown>[]> {
  const { database, done } = await freshStore();
  const entries = Array.from({ length: events }, (_, i) => syntheticEvent(i));
  for (let i = 0; i < entries.length; i += 10_000) await database.db.transaction().execute((trx) => outboxRepository.append(trx, entries.slice(i, i + 10_000)));
  // The payloads as the stream carries them (read once, outside the timings of the raw publishers).
  const messages: StreamMessage[] = encodeStreamRows(await outboxRepository.afterForStream(database.db, 0, events));
  const out: Record<string, unknown>[] = [];
  try {
    for (let r = 1; r <= rounds; r++) {
      const results: Record<string, unknown>[] = [];
      let link = await freshLink(natsUrl);
      try {
        const js = jetstream(link.connection);
        const subject = `${link.subjectPrefix}.residence_change`;
        results.push(await timed('rawLibrary', events, async () => {
          for (let i = 0; i < messages.length; i += batch) {
            await Promise.all(messages.slice(i, i + batch).map((m) => js.publish(subject, m.data, { msgID: m.eventId, timeout: 30_000 })));
          }
          return messages.length;
        }));
      } finally {
        await link.close();
      }
      link = await freshLink(natsUrl);
      try {
        results.push(await timed('rawAsync', events, async () => {
          for (let i = 0; i < messages.length; i += publishBatch) await link.publishEncoded(messages.slice(i, i + publishBatch));
          return messages.length;
        }));
      } finally {
        await link.close();
      }
      link = await freshLink(natsUrl);
      try {
        await database.db.deleteFrom('event_cursors').where('name', '=', jetstreamCursor).execute();
        const dispatcher = new EventDispatcher({ db: database.db, clock: systemClock, link, publishBatch });
        results.push(await timed('dispatcher', events, async () => {
          let moved = 0;
          for (let n = await dispatcher.publishPass(); n > 0; n = await dispatcher.publishPass()) moved += n;
          return moved;
        }));
      } finally {
        await link.close();
      }
      const rate = (name: string): number => Number(results.find((x) => x.name === name)?.eventsPerSecond);
      out.push({ phase: 'dispatch', dialect, round: r, events, results, dispatcherShareOfRawAsync: round(rate('dispatcher') / rate('rawAsync'), 2), dispatcherShareOfRawLibrary: round(rate('dispatcher') / rate('rawLibrary'), 2) });
      console.log(JSON.stringify(out.at(-1)));
    }
    return out;
  } finally {
    await done();
  }
}

async function latencyPhase(source: 'registry' | 'outbox', mode: 'embedded' | 'jetstream', rate: number, natsUrl: string): Promise<Record<string, unknown>> {
  const { database, done } = await freshStore();
  await loadPopulation(database, generatePopulation({ people, seed: 3, today: '2026-01-01' }));
  const ids = (await database.db.selectFrom('persons').select('id_number').where('status', '=', 'alive').execute()).map((r) => r.id_number);
  const committedAt = new Map<string, number>();
  const latencies: number[] = [];
  let requests = 0;
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const now = performance.now();
      requests += 1;
      for (const e of (JSON.parse(Buffer.concat(chunks).toString('utf8')) as { events: { eventId: string }[] }).events) {
        const at = committedAt.get(e.eventId);
        if (at !== undefined) latencies.push(now - at);
      }
      res.writeHead(200).end();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/events`;
  const at = new Date().toISOString();
  await subscriptionRepository.insert(database.db, {
    subscriptionId: randomUUID(), clientId: faultGrant.clientId, grantId: faultGrant.grantId, officerId: 'officer-1', purposeCode: 'BHXH_UPDATE',
    kinds: ['residence_change'], fields: ['permanentResidence'], provinces: [], url, status: 'active', fromSeq: 0, lastError: null, createdAt: at, updatedAt: at,
  });
  const accessLog = openAccessLog(database);
  const deliverer = new WebhookDeliverer({
    db: database.db, clock: systemClock, accessLog, keyId: 'bench', privateKey: generateKeyPairSync('ed25519').privateKey,
    grantOf: () => Promise.resolve(faultGrant), agencyOf: () => Promise.resolve('Bảo hiểm xã hội Việt Nam'), batch: 1_000,
  });
  const link = mode === 'jetstream' ? await freshLink(natsUrl) : undefined;
  const errors: Record<string, number> = {};
  const dispatcher = new EventDispatcher({
    db: database.db, clock: systemClock, deliverer, pollMs: 5, ...(link === undefined ? {} : { link }),
    onError: (error, loop) => { const key = `${loop}: ${(error as Error).message.slice(0, 60)}`; errors[key] = (errors[key] ?? 0) + 1; },
  });
  dispatcher.start();
  const registry = new RegistryService({ db: database.db, clock: systemClock });
  const communes = adminUnitCatalog().communes2025().slice(0, 50).map((c) => c.code);
  let issued = 0;
  let failed = 0;
  let transactions = 0;
  const inFlight = new Set<Promise<void>>();
  const loadBefore = load();
  const cpu0 = process.cpuUsage();
  const nats0 = natsCpuMicros();
  const start = performance.now();
  while (performance.now() - start < seconds * 1000) {
    const target = Math.floor(((performance.now() - start) / 1000) * rate);
    if (source === 'registry') {
      // At most --inflight commits waiting (a server's requests in progress): past capacity the rate reached falls short instead of queueing without end.
      const due = Math.min(target - issued, inflightCap - inFlight.size);
      for (let k = 0; k < due; k++) {
        const i = issued++;
        const p = registry.recordEvent({ personId: ids[i % ids.length] ?? '', type: 'residence_change', occurredOn: '2026-01-01', officerId: 'bench', reason: null, data: { permanentCommune: communes[i % communes.length], permanentAddress: `Số ${i}` } })
          .then(({ event }) => { committedAt.set(event.eventId, performance.now()); }, () => { failed += 1; })
          .finally(() => inFlight.delete(p));
        inFlight.add(p);
      }
    } else if (target > issued && inFlight.size === 0) {
      // The events due since the last commit, in one transaction (as the import of earlier registers writes them).
      const due = Array.from({ length: target - issued }, (_, k) => syntheticEvent(issued + k, ids[(issued + k) % ids.length]));
      issued += due.length;
      transactions += 1;
      const p = database.db.transaction().execute((trx) => outboxRepository.append(trx, due))
        .then(() => { const now = performance.now(); for (const e of due) committedAt.set(e.eventId, now); }, () => { failed += due.length; })
        .finally(() => inFlight.delete(p));
      inFlight.add(p);
    }
    await new Promise((r) => setTimeout(r, 1));
  }
  await Promise.all(inFlight);
  const committedSeconds = (performance.now() - start) / 1000;
  const committed = committedAt.size;
  const until = performance.now() + 60_000;
  while (latencies.length < committed && performance.now() < until) await new Promise((r) => setTimeout(r, 5));
  const cpu = process.cpuUsage(cpu0);
  const nats1 = natsCpuMicros();
  const loadAfter = load();
  await dispatcher.stop();
  await link?.close();
  await accessLog.close();
  server.close();
  await done();
  latencies.sort((a, b) => a - b);
  return {
    phase: 'commit-to-webhook', dialect, source, mode, targetRate: rate, committed, failed, commitsPerSecond: Math.round(committed / committedSeconds),
    ...(source === 'outbox' ? { eventsPerTransaction: round(committed / Math.max(1, transactions), 1) } : {}),
    delivered: latencies.length, webhookRequests: requests, errors,
    latencyMs: { p50: quantile(latencies, 0.5), p99: quantile(latencies, 0.99), max: round(latencies.at(-1) ?? NaN) },
    cpuMicrosPerEvent: round((cpu.user + cpu.system) / Math.max(1, committed), 1),
    ...(mode === 'jetstream' && nats0 !== undefined && nats1 !== undefined ? { natsServerCpuMicrosPerEvent: round((nats1 - nats0) / Math.max(1, committed), 1) } : {}),
    load: [loadBefore, loadAfter],
  };
}

const nats: PrivateNats | undefined = values.nats === undefined ? await startPrivateNats() : undefined;
const natsUrl = values.nats ?? nats?.url ?? '';
try {
  if (phases.includes('dispatch')) await dispatchPhase(natsUrl);
  if (phases.includes('latency')) {
    for (const source of sources) {
      for (const rate of rates) {
        for (const mode of modes) console.log(JSON.stringify(await latencyPhase(source, mode, rate, natsUrl)));
      }
    }
  }
} finally {
  await nats?.close();
}
