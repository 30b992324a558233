import type { SnapshotManifest, SnapshotPerson } from './registry-snapshot.engine.js';

/** What the snapshot service needs from the store and from the bulk engine. */
export interface RegistrySnapshotDeps {
  /** The registry's current state, as registryFingerprint gives it. */
  readonly fingerprint: () => Promise<string>;
  /** Pages of persons in ID order. */
  readonly pages: () => AsyncIterable<readonly SnapshotPerson[]>;
  readonly readManifest: (dir: string) => SnapshotManifest | undefined;
  readonly write: (dir: string, persons: AsyncIterable<readonly SnapshotPerson[]>, fingerprint: string) => Promise<SnapshotManifest>;
}

/** A snapshot ready for reconciliation, and whether this call had to build it. */
export interface SnapshotReady {
  readonly dir: string;
  readonly manifest: SnapshotManifest;
  readonly built: boolean;
}

/**
 * Keeps a columnar snapshot of the registry for bulk reconciliation: built once, reused while the
 * registry's fingerprint is unchanged, rebuilt (atomically, beside the old one) when it moved on.
 *
 * @example
 * const { dir } = await ensureSnapshot('/data/snapshots/registry', deps);
 */
export async function ensureSnapshot(dir: string, deps: RegistrySnapshotDeps): Promise<SnapshotReady> {
  const fingerprint = await deps.fingerprint();
  const existing = deps.readManifest(dir);
  if (existing?.fingerprint === fingerprint) return { dir, manifest: existing, built: false };
  const manifest = await deps.write(dir, deps.pages(), fingerprint);
  return { dir, manifest, built: true };
}

/** Pages through a keyset-paged source until a short page. */
export async function* keysetPages(
  page: (after: string, limit: number) => Promise<readonly SnapshotPerson[]>,
  pageSize = 10_000,
): AsyncGenerator<readonly SnapshotPerson[]> {
  let after = '';
  for (;;) {
    const rows = await page(after, pageSize);
    if (rows.length > 0) yield rows;
    const last = rows.at(-1);
    if (last === undefined || rows.length < pageSize) return;
    after = last.id_number;
  }
}
