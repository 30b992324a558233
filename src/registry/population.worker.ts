/**
 * Runs generatePopulation in a worker thread and posts its batches to the parent, at most a few
 * ahead of what the parent has taken (a shared counter the parent bumps), so that generation on
 * one core overlaps loading on the other without unbounded memory.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { generatePopulation, type GeneratePopulationOptions } from './population.generator.js';

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
  for (const batch of generatePopulation(input.options)) {
    for (;;) {
      const current = Atomics.load(taken, 0);
      if (sent - current < input.ahead) break;
      Atomics.wait(taken, 0, current, 1_000);
    }
    port.postMessage({ kind: 'batch', batch });
    sent++;
  }
  port.postMessage({ kind: 'done' });
} catch (error) {
  port.postMessage({ kind: 'error', error });
}
