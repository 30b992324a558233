/**
 * Child process of audit-log.test.ts: opens the access log of the SQLite file given as argument on
 * its writer thread, appends, closes it, and prints "closed <size>" only once close() resolved. The
 * process must then end by itself, exit code 0 (nothing left waiting, nothing left running).
 */
import { openAccessLog } from '../src/audit/access-log.service.js';
import { openDatabase } from '../src/store/database.js';

const database = openDatabase({ sqliteFile: process.argv[2] ?? '' });
const log = openAccessLog(database, { writerThread: true, personIndex: { runSize: 8, sliceSize: 2 } });
const receipts = await log.appendMany(Array.from({ length: 20 }, (_, i) => ({
  personId: `00108500000${i % 7}`, at: '2026-11-27T10:00:00Z', clientId: 'VN/GOV/BHXH/insurance-portal', officerId: 'officer-1',
  service: 'person.verify', purpose: 'Kiểm tra', legalBasis: 'Luật Căn cước 2023, Điều 10', fields: ['fullName'],
  visibility: 'public' as const, requestId: `close-${i}`,
})));
await log.indexed();
await log.close();
await database.close();
process.stdout.write(`closed ${(receipts.at(-1)?.index ?? -1) + 1}\n`);
