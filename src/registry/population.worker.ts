/**
 * Runs generatePopulation in a worker thread and posts its batches to the parent, at most a few
 * ahead of what the parent has taken (a shared counter the parent bumps), so that generation on
 * one core overlaps loading on the other without unbounded memory.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { generatePackedPopulation, type GeneratePopulationOptions } from './population.generator.js';

interface WorkerInput {
  readonly options: GeneratePopulationOptions;
  /** [batches the parent has taken] */
  readonly taken: SharedArrayBuffer;
  readonly ahead: number;
}

const input = workerData as WorkerInput;
const taken = new Int32Array(input.taken);
const port = parentPort;
if (port === null) throw new Error('population.worker must run as a worker thread');

try {
  let sent = 0;
  for (const packed of generatePackedPopulation(input.options)) {
    for (;;) {
      const current = Atomics.load(taken, 0);
      if (sent - current < input.ahead) break;
      Atomics.wait(taken, 0, current, 1_000);
    }
    // Packed: a string and two typed arrays (moved, not copied) per table instead of row objects.
    const tables = [packed.persons, packed.households, packed.events];
    const buffers = [packed.order.buffer, ...tables.flatMap((t) => [t.ends.buffer, t.kinds.buffer])] as ArrayBuffer[];
    port.postMessage({ kind: 'batch', batch: packed }, buffers);
    sent++;
  }
  port.postMessage({ kind: 'done' });
} catch (error) {
  port.postMessage({ kind: 'error', error });
}
