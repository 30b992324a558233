import SQLite from 'better-sqlite3';
import { rmSync } from 'node:fs';
import { createHash } from 'node:crypto';
const N = Number(process.argv[3] ?? 500_000);
const variant = process.argv[2] ?? 'base';
const file = `/tmp/audit-perf/sq-${variant}.db`;
for (const s of ['', '-wal', '-shm']) rmSync(file + s, { force: true });
const db = new SQLite(file);
db.pragma('page_size = 16384'); db.pragma('journal_mode = WAL'); db.pragma('synchronous = NORMAL'); db.pragma('cache_size = -65536');db.pragma('mmap_size = 2147418112');
const personType = variant.includes('int') ? 'integer' : 'text';
db.exec(`CREATE TABLE access_records (idx integer primary key, person_id ${personType} not null, deferred_until text, leaf text not null, leaf_hash blob not null);`);
if (!variant.includes('noidx')) db.exec('CREATE INDEX access_records_person_idx ON access_records(person_id);');
db.exec('CREATE TABLE access_log_nodes (level integer not null, idx integer not null, hash blob not null, primary key(level, idx)) without rowid;');
const leafBase = '{"at":"2026-01-01T00:00:00.000Z","clientId":"VN/GOV/MEMBER1/system-1","fields":["fullName","birthDate","currentAddress"],"legalBasis":"Luật Căn cước 2023, Điều 10","officerId":"officer-1","personId":"012345678901","purpose":"Cấp thẻ bảo hiểm y tế","requestId":"req-abc","service":"person.verify","visibility":"public"}';
const leaves = Array.from({ length: N }, (_, i) => leafBase.replace('req-abc', 'req-' + i.toString(36)));
const hashes = leaves.map((l) => createHash('sha256').update(l).digest());
const persons = Array.from({ length: N }, (_, i) => `0${String((i * 2_654_435_761) % 100_000_000).padStart(11, '0')}`);
const multi = variant.includes('multi') ? 100 : 1;
const ins = db.prepare('INSERT INTO access_records VALUES ' + Array.from({ length: multi }, () => '(?,?,?,?,?)').join(','));
const ins1 = db.prepare('INSERT INTO access_records VALUES (?,?,?,?,?)');
const insN = db.prepare('INSERT INTO access_log_nodes VALUES (?,?,?)');
const c = process.cpuUsage(); const t = performance.now();
const B = 10000;
for (let b = 0; b < N; b += B) db.transaction(() => {
  const person = (i: number): string | number => personType === 'integer' ? Number(persons[i]) : persons[i]!;
  if (multi > 1) {
    const args: unknown[] = [];
    for (let i = b; i < b + B; i++) { args.push(i, person(i), null, leaves[i], hashes[i]); if (args.length === multi * 5) { ins.run(args); args.length = 0; } }
  } else for (let i = b; i < b + B; i++) ins1.run(i, person(i), null, leaves[i], hashes[i]);
  for (let i = b; i < b + B; i++) if (!variant.includes('nonodes')) { let l = 1, j = i + 1; while (j % 2 === 0) { insN.run(l, (i + 1) / 2 ** l - 1, hashes[i]); j /= 2; l++; } }
}).immediate();
const u = process.cpuUsage(c);
console.log(variant, 'cpu µs/rec', ((u.user + u.system) / N).toFixed(2), 'wall µs/rec', ((performance.now() - t) * 1000 / N).toFixed(2));
