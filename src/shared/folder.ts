import { mkdirSync, statSync } from 'node:fs';
import path from 'node:path';

/** Why a folder could not be made: the system's code (EACCES, ENOENT, ENOTDIR…) and the folder that failed. */
export class FolderError extends Error {
  constructor(
    readonly folder: string,
    readonly code: string,
  ) {
    super(`cannot create the folder ${folder} (${code})`);
    this.name = 'FolderError';
  }
}

function codeOf(error: unknown): string {
  return typeof error === 'object' && error !== null && 'code' in error && typeof error.code === 'string' ? error.code : 'UNKNOWN';
}

/**
 * Makes a folder and its missing parents, one level at a time. Node's own recursive mkdir loops
 * forever under /proc (mkdir says ENOENT, which it takes as "make the parent first"); this fails
 * at once with the level that cannot be made.
 *
 * @example
 * makeFolder('./data/reconcile');
 */
export function makeFolder(folder: string): void {
  const absolute = path.resolve(folder);
  const missing: string[] = [];
  for (let at = absolute; ; at = path.dirname(at)) {
    try {
      if (!statSync(at).isDirectory()) throw new FolderError(at, 'ENOTDIR');
      break;
    } catch (error) {
      if (error instanceof FolderError) throw error;
      const code = codeOf(error);
      if (code !== 'ENOENT') throw new FolderError(at, code);
      if (path.dirname(at) === at) throw new FolderError(at, code);
      missing.unshift(at);
    }
  }
  for (const level of missing) {
    try {
      mkdirSync(level);
    } catch (error) {
      if (codeOf(error) !== 'EEXIST') throw new FolderError(level, codeOf(error));
    }
  }
}
