// Change events (src/events): how fast the dispatcher moves the outbox into JetStream with publish
// acknowledgements, and how long from a life event's commit to the subscriber's webhook.
//   npx tsx bench/events-dispatch.bench.ts [--events 50000] [--batch 2000] [--rates 1000,10000] [--seconds 5] [--people 20000] [--nats <url>]
// Phase 1 (dispatch): an SQLite store's outbox filled with --events change events, then
//   - baseline: the same payloads published straight to JetStream (no store), in the same
//     windows of --batch acknowledged publishes: the ceiling of this client and server;
//   - dispatcher: EventDispatcher.publishPass (read the outbox after its cursor, publish with
//     Nats-Msg-Id, await every ack, move the cursor) until the outbox is drained.
//   Events a second for both, and the dispatcher's share of the ceiling.
// Phase 2 (commit → webhook): a store with --people persons; moves recorded through the
//   registry (one transaction each, outbox included) at each --rates for --seconds, dispatched
//   embedded (outbox → deliveries) and through JetStream, pushed signed to a loopback webhook.
//   Latency = time the webhook received the event − time its commit resolved (same process and
//   clock); p50/p99, and the commit rate reached (at most 256 commits wait at once: past
//   capacity the rate reached falls short of the target).
// Without --nats a private nats-server (/usr/sbin/nats-server) is started on a free port with a temp store.
import { generateKeyPairSync, randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { jetstream } from '@nats-io/jetstream';
import { openAccessLog } from '../src/audit/access-log.service.js';
import type { OutboxEntry } from '../src/events/change-event.js';
import { EventDispatcher } from '../src/events/event.dispatcher.js';
import { JetStreamLink } from '../src/events/jetstream.link.js';
import { outboxRepository } from '../src/events/outbox.repository.js';
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
import { startPrivateNats } from '../test/nats-server.js';

const { values } = parseArgs({
  options: {
    events: { type: 'string', default: '50000' },
    batch: { type: 'string', default: '2000' },
    rates: { type: 'string', default: '1000,10000' },
    seconds: { type: 'string', default: '5' },
    people: { type: 'string', default: '20000' },
    nats: { type: 'string' },
  },
});
const events = Number(values.events);
const batch = Number(values.batch);
const rates = values.rates.split(',').map(Number);
const seconds = Number(values.seconds);
const people = Number(values.people);

const round = (v: number, digits = 1): number => Math.round(v * 10 ** digits) / 10 ** digits;
const quantile = (sorted: readonly number[], q: number): number => round(sorted[Math.floor(q * (sorted.length - 1))] ?? NaN, 1);

async function freshStore(): Promise<{ database: Database; done: () => Promise<void> }> {
  const dir = mkdtempSync(path.join(tmpdir(), 'sachsong-events-bench-'));
  const database = openDatabase({ sqliteFile: path.join(dir, 'bench.db') });
  await migrateToLatest(database.db, database.dialect);
  return { database, done: async () => { await database.close(); rmSync(dir, { recursive: true, force: true }); } };
}

function syntheticEvent(i: number): OutboxEntry {
  return {
    eventId: randomUUID(),
    personId: `0010850${String(i % 100_000).padStart(5, '0')}`,
    type: 'residence_change',
    occurredOn: '2026-11-01',
    recordedAt: new Date(Date.UTC(2026, 10, 1) + i).toISOString(),
    provinces: ['01', '79'],
    data: { permanentResidence: { communeCode: '00004', address: `Số ${i} đường Láng` } },
  };
}

async function dispatchPhase(natsUrl: string): Promise<Record<string, unknown>> {
  const { database, done } = await freshStore();
  const entries = Array.from({ length: events }, (_, i) => syntheticEvent(i));
  for (let i = 0; i < entries.length; i += 10_000) await database.db.transaction().execute((trx) => outboxRepository.append(trx, entries.slice(i, i + 10_000)));
  const link = await JetStreamLink.open(natsUrl, { streamName: `BENCH_${Date.now()}`, subjectPrefix: `bench${Date.now()}` });
  const subject = `bench-raw-${Date.now()}`;
  const rawLink = await JetStreamLink.open(natsUrl, { streamName: `BENCH_RAW_${Date.now()}`, subjectPrefix: subject });
  try {
    // Baseline: the same payloads and windows, straight to JetStream.
    const js = jetstream(rawLink.connection);
    const encoder = new TextEncoder();
    const payloads = entries.map((e, i) => encoder.encode(JSON.stringify({ ...e, seq: i + 1 })));
    let t0 = performance.now();
    for (let i = 0; i < payloads.length; i += batch) {
      await Promise.all(payloads.slice(i, i + batch).map((p, j) => js.publish(`${subject}.residence_change`, p, { msgID: entries[i + j]?.eventId ?? '', timeout: 30_000 })));
    }
    const rawSeconds = (performance.now() - t0) / 1000;
    // The dispatcher over the outbox (its stream has its own subject space).
    const dispatcher = new EventDispatcher({ db: database.db, clock: systemClock, link, publishBatch: batch });
    t0 = performance.now();
    let moved = 0;
    for (let n = await dispatcher.publishPass(); n > 0; n = await dispatcher.publishPass()) moved += n;
    const dispatchSeconds = (performance.now() - t0) / 1000;
    return {
      events,
      batch,
      baselineEventsPerSecond: Math.round(events / rawSeconds),
      dispatcherEventsPerSecond: Math.round(moved / dispatchSeconds),
      dispatcherShareOfBaseline: round(moved / dispatchSeconds / (events / rawSeconds), 2),
    };
  } finally {
    await link.close();
    await rawLink.close();
    await done();
  }
}

async function latencyPhase(mode: 'embedded' | 'jetstream', rate: number, natsUrl: string): Promise<Record<string, unknown>> {
  const { database, done } = await freshStore();
  await loadPopulation(database, generatePopulation({ people, seed: 3, today: '2026-01-01' }));
  const ids = (await database.db.selectFrom('persons').select('id_number').where('status', '=', 'alive').execute()).map((r) => r.id_number);
  const committedAt = new Map<string, number>();
  const latencies: number[] = [];
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const now = performance.now();
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
  const link = mode === 'jetstream' ? await JetStreamLink.open(natsUrl, { streamName: `BENCH_LAT_${Date.now()}`, subjectPrefix: `bench-lat-${Date.now()}` }) : undefined;
  const dispatcher = new EventDispatcher({ db: database.db, clock: systemClock, deliverer, pollMs: 5, ...(link === undefined ? {} : { link }) });
  dispatcher.start();
  const registry = new RegistryService({ db: database.db, clock: systemClock });
  const communes = adminUnitCatalog().communes2025().slice(0, 50).map((c) => c.code);
  let issued = 0;
  let failed = 0;
  const inFlight = new Set<Promise<void>>();
  const start = performance.now();
  // Each 10 ms, the moves due by then; distinct people in flight (cycling through the population).
  while (performance.now() - start < seconds * 1000) {
    // At most 256 commits waiting (a server's pool of requests): past capacity the rate falls short instead of queueing without end.
    const due = Math.min(Math.floor(((performance.now() - start) / 1000) * rate) - issued, 256 - inFlight.size);
    for (let k = 0; k < due; k++) {
      const i = issued++;
      const p = registry.recordEvent({ personId: ids[i % ids.length] ?? '', type: 'residence_change', occurredOn: '2026-01-01', officerId: 'bench', reason: null, data: { permanentCommune: communes[i % communes.length], permanentAddress: `Số ${i}` } })
        .then(({ event }) => { committedAt.set(event.eventId, performance.now()); }, () => { failed += 1; })
        .finally(() => inFlight.delete(p));
      inFlight.add(p);
    }
    await new Promise((r) => setTimeout(r, 10));
  }
  await Promise.all(inFlight);
  const committedSeconds = (performance.now() - start) / 1000;
  const committed = committedAt.size;
  const until = performance.now() + 60_000;
  while (latencies.length < committed && performance.now() < until) await new Promise((r) => setTimeout(r, 20));
  await dispatcher.stop();
  await link?.close();
  await accessLog.close();
  server.close();
  await done();
  latencies.sort((a, b) => a - b);
  return {
    mode, targetRate: rate, committed, failed, commitsPerSecond: Math.round(committed / committedSeconds), delivered: latencies.length,
    latencyMs: { p50: quantile(latencies, 0.5), p99: quantile(latencies, 0.99), max: round(latencies.at(-1) ?? NaN) },
  };
}

const nats = values.nats === undefined ? await startPrivateNats() : undefined;
const natsUrl = values.nats ?? nats?.url ?? '';
try {
  console.log(JSON.stringify({ phase: 'dispatch', ...(await dispatchPhase(natsUrl)) }));
  for (const rate of rates) {
    for (const mode of ['embedded', 'jetstream'] as const) console.log(JSON.stringify({ phase: 'commit-to-webhook', ...(await latencyPhase(mode, rate, natsUrl)) }));
  }
} finally {
  await nats?.close();
}
