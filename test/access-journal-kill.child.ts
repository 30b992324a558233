/**
 * Child process of access-journal-kill.test.ts: appends officials' reads through the access
 * journal (appendUnindexed, the writer thread folding behind) to the SQLite file given as
 * argument, as fast as it can in concurrent waves, and prints each record's request id only
 * AFTER its append resolved (acknowledged). It never stops by itself: the test kills it.
 */
import { openAccessLog } from '../src/audit/access-log.service.js';
import { openDatabase } from '../src/store/database.js';

const database = openDatabase({ sqliteFile: process.argv[2] ?? '' });
// Small index runs, so that the kill also lands in the middle of indexing the person index.
const log = openAccessLog(database, { writerThread: true, personIndex: { runSize: 64, sliceSize: 32, fanIn: 2 } });

let n = Number(process.argv[3] ?? 0);
for (;;) {
  const wave = Array.from({ length: 50 }, () => n++);
  await Promise.all(
    wave.map(async (i) => {
      await log.appendUnindexed([{
        personId: `0010850${String(i % 100_000).padStart(5, '0')}`,
        at: new Date(Date.UTC(2026, 10, 1) + i).toISOString(),
        clientId: 'VN/GOV/sachsong/officer',
        officerId: `officer-${i % 13}`,
        service: 'person.read',
        purpose: `Kiểm tra ${i}`,
        legalBasis: 'Luật Căn cước 2023',
        fields: ['fullName'],
        visibility: 'public',
        requestId: `kill-${i}`,
        readerKind: 'officer',
        readerRole: 'national_officer',
        readerUnit: 'nation',
      }]);
      process.stdout.write(`kill-${i}\n`);
    }),
  );
}
