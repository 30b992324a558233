/**
 * One part of a full scan's read-and-evaluate pass on a worker thread (see runScanPass): opens
 * its own connection to the store file, evaluates, and posts the findings and counts back.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { openDatabase } from '../store/database.js';
import { evaluateStore, type ScanPart, type ScanSettings } from './quality-scan.runner.js';

const port = parentPort;
if (port === null) throw new Error('quality-scan.worker must run as a worker thread');
const { file, settings, part } = workerData as { readonly file: string; readonly settings: ScanSettings; readonly part: ScanPart };
const database = openDatabase({ sqliteFile: file });
try {
  port.postMessage({ pass: await evaluateStore(database, settings, part) });
} catch (error) {
  const e = error instanceof Error ? error : new Error(String(error));
  port.postMessage({ error: { name: e.name, message: e.message } });
} finally {
  await database.close();
}
