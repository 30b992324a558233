import { Worker, type WorkerOptions } from 'node:worker_threads';

/**
 * Starts a worker thread on a sibling module: `<name>.js` once built; from source (tsx, vitest)
 * `<name>.ts`, with the worker registering tsx's loader itself, since loader hooks do not pass
 * to workers.
 *
 * @example
 * const worker = moduleWorker(import.meta.url, 'population.worker', { workerData });
 */
export function moduleWorker(callerUrl: string, name: string, options: WorkerOptions = {}): Worker {
  if (callerUrl.endsWith('.ts')) {
    const href = new URL(`./${name}.ts`, callerUrl).href;
    return new Worker(`import('tsx/esm/api').then((tsx) => { tsx.register(); return import(${JSON.stringify(href)}); })`, { ...options, eval: true });
  }
  return new Worker(new URL(`./${name}.js`, callerUrl), options);
}
