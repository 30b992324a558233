import { getPriority, setPriority } from 'node:os';

/** How much lower than the request thread the access log's writer thread and checkpointer run. */
export const writerNiceIncrement = 10;

/**
 * Lowers the calling thread's scheduling priority by `increment` nice steps (at most to 19). On
 * Linux a thread has a nice value of its own, and `setPriority(0, …)` sets the calling thread's:
 * background threads (folding the access journal, checkpoints) then give way to the thread that
 * answers requests when both want the same core. Where the system refuses, nothing changes.
 *
 * @example
 * lowerThreadPriority(writerNiceIncrement); // first thing in a background worker thread
 */
export function lowerThreadPriority(increment: number): void {
  try {
    setPriority(0, Math.min(19, getPriority(0) + increment));
  } catch {
    // Not allowed here (a sandbox): the thread keeps its priority.
  }
}
