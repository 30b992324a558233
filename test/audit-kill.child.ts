/**
 * Child process of audit-kill.test.ts: appends access records to the store given as argument
 * (a SQLite file or a postgres:// URL; a third argument `writer-thread` writes on the log's
 * writer thread) as fast as it can, in concurrent waves, and prints
 * "<index> <leaf hash>" for each record only AFTER its append promise resolved (acknowledged).
 * It never stops by itself: the test kills it.
 */
import { openAccessLog } from '../src/audit/access-log.service.js';
import { openDatabase } from '../src/store/database.js';

const target = process.argv[2] ?? '';
const database = target.startsWith('postgres') ? openDatabase({ databaseUrl: target, poolSize: 2 }) : openDatabase({ sqliteFile: target });
// Small index runs, so that the kill also lands in the middle of indexing the person index.
const log = openAccessLog(database, { lingerMs: 1, maxBatch: 100, writerThread: process.argv[3] === 'writer-thread', personIndex: { runSize: 64, sliceSize: 32, fanIn: 2 } });

let n = 0;
for (;;) {
  const wave = Array.from({ length: 40 }, () => n++);
  await Promise.all(
    wave.map(async (i) => {
      const receipt = await log.append({
        personId: `0010850${String(i % 100_000).padStart(5, '0')}`,
        at: new Date(Date.UTC(2026, 10, 1) + i).toISOString(),
        clientId: 'VN/GOV/BHXH/insurance-portal',
        officerId: `officer-${i % 13}`,
        service: 'person.verify',
        purpose: `Kiểm tra ${i}`,
        legalBasis: 'Luật Căn cước 2023, Điều 10',
        fields: ['fullName'],
        visibility: i % 10 === 0 ? { deferredUntil: '2027-01-01' } : 'public',
        requestId: `kill-${i}`,
      });
      process.stdout.write(`${receipt.index} ${receipt.leafHash}\n`);
    }),
  );
}
