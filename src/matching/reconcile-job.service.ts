import { randomUUID } from 'node:crypto';
import { createReadStream, createWriteStream, existsSync, mkdirSync, renameSync, rmSync, statSync } from 'node:fs';
import path from 'node:path';
import { Transform, type Readable, type TransformCallback } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { parse } from 'csv-parse';
import type { Kysely } from 'kysely';
import type { BulkJobRecorder } from '../audit/bulk-job.recorder.js';
import type { OfficialReader } from '../audit/official-read.recorder.js';
import { isoDay, type Clock } from '../shared/clock.js';
import { defaultLeaseMs, processNodeId } from '../store/job-lease.js';
import { DomainError, isDomainError } from '../shared/domain-error.js';
import type { DB } from '../store/database.types.js';
import { reconcileJobRepository, type ReconcileJobRow } from './reconcile-job.repository.js';
import { canonicalFields, isPresetName, reconcilePresets, withHeaderAliases, withMapping, type CanonicalField, type PresetName } from './reconcile.presets.js';
import { reconcileOutputs, type ReconcileService } from './reconcile.service.js';
import type { ReconcileSummary } from './reconcile.types.js';

/** A job as the API shows it. */
export interface ReconcileJobView {
  readonly jobId: string;
  readonly preset: string;
  readonly source: string;
  readonly state: ReconcileJobRow['state'];
  readonly phase: string;
  readonly progress: number;
  readonly attempts: number;
  readonly rows: number | null;
  readonly error: { readonly code: string; readonly message: string } | null;
  readonly createdAt: string;
  readonly startedAt: string | null;
  readonly finishedAt: string | null;
  readonly summary: ReconcileSummary | null;
}

export interface ReconcileJobDeps {
  readonly db: Kysely<DB>;
  readonly clock: Clock;
  readonly reconcile: ReconcileService;
  /** Folder under which each job gets its own output folder. */
  readonly jobsDir: string;
  /** Server-side files may be reconciled only from inside this folder (uploads land there too). */
  readonly inboxDir: string;
  /** Told of unexpected failures (not domain errors), e.g. to log them without personal data. */
  readonly onError?: (error: unknown) => void;
  /** This node, as it claims jobs in the shared store (default: processNodeId). */
  readonly nodeId?: string;
  /** How long a claim lasts unless renewed (default 60 s). */
  readonly leaseMs?: number;
  /** Largest upload accepted, in bytes (default {@link defaultMaxUploadBytes}). */
  readonly maxUploadBytes?: number;
  /**
   * Records each finished job once in the access log, with the persons its results name (audit's
   * BulkJobRecorder), before the job counts as succeeded and its results can be fetched.
   */
  readonly bulkJobs?: BulkJobRecorder;
  /** Who the job's record names; default the reconciliation service itself. */
  readonly reader?: OfficialReader;
}

/** The reader a job's access record names when none is given. */
export const reconcileReader: OfficialReader = { kind: 'service_account', id: 'reconcile', role: 'reconcile', unit: { level: 'nation', code: null } };

/**
 * The registry persons a results file names (linked_id, registry_id_number), sorted and distinct.
 * A row linked through an old 9-digit card whose preset releases no ID number names no one: the
 * agency learns no ID for it, and neither does this list.
 */
export async function personsInResults(resultsPath: string): Promise<string[]> {
  const ids = new Set<string>();
  const parser = createReadStream(resultsPath).pipe(parse({ columns: true, relax_column_count: true }));
  for await (const row of parser as AsyncIterable<Record<string, string | undefined>>) {
    for (const id of [row.linked_id, row.registry_id_number]) if (id !== undefined && /^\d{12}$/.test(id)) ids.add(id);
  }
  return [...ids].sort();
}

/**
 * The default upload limit: 16 GiB. The largest file an agency sends is a national register: the
 * tax authority's, ~100 million rows of ~100 bytes, about 10 GB; the limit leaves half as much again
 * for wider rows. Uploads go to disk as they arrive (never to memory), so the limit protects the
 * disk and the inbox, not the heap. A larger file is placed in the inbox folder by the operator.
 */
export const defaultMaxUploadBytes = 16 * 1024 ** 3;

/** Stops a stream with RECONCILE_UPLOAD_TOO_LARGE once more than `limit` bytes have passed. */
class ByteLimit extends Transform {
  private seen = 0;

  constructor(private readonly limit: number) {
    super();
  }

  override _transform(chunk: Buffer, _encoding: BufferEncoding, done: TransformCallback): void {
    this.seen += chunk.length;
    if (this.seen > this.limit) done(uploadTooLarge(this.limit));
    else done(null, chunk);
  }
}

function uploadTooLarge(limit: number): DomainError {
  return new DomainError(
    'invalid',
    'RECONCILE_UPLOAD_TOO_LARGE',
    `the file is larger than the upload limit of ${limit} bytes`,
    'Split the file, or ask the operators to place it in the reconciliation inbox folder',
    { limitBytes: limit },
  );
}

const uploadName = /^[A-Za-z0-9][A-Za-z0-9._-]{0,99}\.(csv|parquet)$/;

export interface CreateJobInput {
  readonly preset: string;
  /** A file name (or relative path) inside the inbox folder. */
  readonly file: string;
  readonly mapping?: Readonly<Partial<Record<string, string>>>;
}

function view(row: ReconcileJobRow): ReconcileJobView {
  return {
    jobId: row.job_id,
    preset: row.preset,
    source: row.source_name,
    state: row.state,
    phase: row.phase,
    progress: row.progress,
    attempts: row.attempts,
    rows: row.rows,
    error: row.error_code === null ? null : { code: row.error_code, message: row.error_message ?? '' },
    createdAt: row.created_at,
    startedAt: row.started_at,
    finishedAt: row.finished_at,
    summary: row.summary === null ? null : (JSON.parse(row.summary) as ReconcileSummary),
  };
}

/**
 * Reconciliation jobs run in-process, one at a time (the engine uses every core but one). The job row
 * records state, phase and progress; outputs are written under temporary names and renamed at the
 * end (see ReconcileService), so a job whose process was killed is simply started again by
 * resumeInterrupted(): it restarts cleanly from the source file.
 */
export class ReconcileJobService {
  private queue: Promise<void> = Promise.resolve();
  private readonly pending = new Set<string>();

  constructor(private readonly deps: ReconcileJobDeps) {}

  /**
   * How a preset would read a file with this header: each field's expected column, the column of
   * the header it takes (by name, or by a usual Vietnamese header such as "Họ và tên"), and whether
   * it is required. The console shows it for the user to correct before the job starts.
   */
  columnMapping(presetName: string, header: readonly string[]): readonly { readonly field: CanonicalField; readonly expected: string | null; readonly column: string | null; readonly required: boolean }[] {
    if (!isPresetName(presetName)) {
      throw new DomainError('invalid', 'RECONCILE_PRESET_UNKNOWN', `unknown preset "${presetName}"`, 'Use one of tax, telecom, bank, welfare');
    }
    const preset = reconcilePresets[presetName];
    const found = withHeaderAliases(preset, header).columns;
    return canonicalFields.map((field) => {
      const column = found[field];
      return { field, expected: preset.columns[field] ?? null, column: column !== undefined && header.includes(column) ? column : null, required: field === 'id' || field === 'name' };
    });
  }

  /** Creates a job for a file in the inbox and queues it. */
  async create(input: CreateJobInput): Promise<ReconcileJobView> {
    if (!isPresetName(input.preset)) {
      throw new DomainError('invalid', 'RECONCILE_PRESET_UNKNOWN', `unknown preset "${input.preset}"`, 'Use one of tax, telecom, bank, welfare');
    }
    const mapping: Partial<Record<CanonicalField, string>> = {};
    for (const [field, column] of Object.entries(input.mapping ?? {})) {
      if (!(canonicalFields as readonly string[]).includes(field) || column === undefined || column === '') {
        throw new DomainError('invalid', 'RECONCILE_MAPPING_INVALID', `cannot map "${field}"`, `Map only ${canonicalFields.join(', ')} to a column name`);
      }
      mapping[field as CanonicalField] = column;
    }
    const sourcePath = this.inboxPath(input.file);
    const now = this.deps.clock.now().toISOString();
    const jobId = randomUUID();
    await reconcileJobRepository.insert(this.deps.db, {
      job_id: jobId,
      preset: input.preset,
      source_name: path.basename(sourcePath),
      source_path: sourcePath,
      mapping: JSON.stringify(mapping),
      out_dir: path.join(this.deps.jobsDir, jobId),
      state: 'queued',
      phase: 'queued',
      progress: 0,
      attempts: 0,
      rows: null,
      summary: null,
      error_code: null,
      error_message: null,
      created_at: now,
      updated_at: now,
      started_at: null,
      finished_at: null,
      runner: null,
      lease_expires_at: null,
    });
    this.enqueue(jobId);
    return this.get(jobId);
  }

  /** The largest upload accepted, in bytes. */
  get maxUploadBytes(): number {
    return this.deps.maxUploadBytes ?? defaultMaxUploadBytes;
  }

  /**
   * Stores an uploaded agency file in the inbox, streamed to disk; it appears under its name only
   * once complete. A file over the upload limit is refused (RECONCILE_UPLOAD_TOO_LARGE) at once
   * when its declared length says so, else as soon as the limit is passed, and what was written of
   * it is removed. Returns its size in bytes.
   */
  async upload(name: string, body: Readable, declaredLength?: number): Promise<number> {
    if (!uploadName.test(name)) {
      throw new DomainError('invalid', 'RECONCILE_FILE_NAME_INVALID', 'the file name must be letters, digits, dots, dashes or underscores, ending .csv or .parquet', 'Rename the file, e.g. sims-2026-11.csv');
    }
    const limit = this.maxUploadBytes;
    if (declaredLength !== undefined && declaredLength > limit) throw uploadTooLarge(limit);
    mkdirSync(this.deps.inboxDir, { recursive: true });
    const target = path.join(this.deps.inboxDir, name);
    const partial = `${target}.${randomUUID()}.partial`;
    try {
      await pipeline(body, new ByteLimit(limit), createWriteStream(partial));
      renameSync(partial, target);
    } catch (error) {
      rmSync(partial, { force: true });
      if (isDomainError(error)) throw error;
      throw new DomainError('invalid', 'RECONCILE_UPLOAD_INCOMPLETE', 'the upload did not complete (the connection closed or the disk refused the file)', 'Send the file again');
    }
    return statSync(target).size;
  }

  async get(jobId: string): Promise<ReconcileJobView> {
    return view(await this.row(jobId));
  }

  async list(limit = 50): Promise<readonly ReconcileJobView[]> {
    return (await reconcileJobRepository.list(this.deps.db, limit)).map(view);
  }

  /** The path of a finished job's output ('results', 'summary' or 'report'). */
  async output(jobId: string, kind: keyof typeof reconcileOutputs): Promise<string> {
    const row = await this.row(jobId);
    if (row.state !== 'succeeded') {
      throw new DomainError('conflict', 'RECONCILE_JOB_NOT_FINISHED', `job ${jobId} is ${row.state}`, row.state === 'failed' ? 'Read the job error, fix the file and create a new job' : 'Wait until the job has succeeded (poll GET /api/reconcile-jobs/{id})');
    }
    const file = path.join(row.out_dir, reconcileOutputs[kind]);
    if (!existsSync(file)) {
      throw new DomainError('not_found', 'RECONCILE_OUTPUT_MISSING', `the ${kind} of job ${jobId} is no longer on disk`, 'Create the job again');
    }
    return file;
  }

  /**
   * Takes up every job left queued, or running on a node that stopped (its lease expired): each
   * runs once, on the node that claims it; a job another live node runs is left to it. Called at
   * start and then every `sweepMs` (startSweep), so that a stopped node's jobs are taken over.
   * Returns the ids of the jobs this node looked at.
   */
  async resumeInterrupted(): Promise<readonly string[]> {
    const rows = await reconcileJobRepository.unfinished(this.deps.db);
    for (const row of rows) this.enqueue(row.job_id);
    return rows.map((r) => r.job_id);
  }

  /** Looks for jobs to take up every `everyMs` (unreferenced: it keeps no process alive). */
  startSweep(everyMs: number): () => void {
    const timer = setInterval(() => { void this.resumeInterrupted().catch((error: unknown) => this.deps.onError?.(error)); }, everyMs);
    timer.unref();
    return () => { clearInterval(timer); };
  }

  /** Resolves when every queued job has finished (tests, and graceful shutdown). */
  async idle(): Promise<void> {
    for (;;) {
      const current = this.queue;
      await current;
      if (current === this.queue) return;
    }
  }

  private inboxPath(file: string): string {
    const inbox = path.resolve(this.deps.inboxDir);
    const resolved = path.resolve(inbox, file);
    if (resolved !== inbox && !resolved.startsWith(`${inbox}${path.sep}`)) {
      throw new DomainError('forbidden', 'RECONCILE_PATH_OUTSIDE_INBOX', 'the file must be inside the reconciliation inbox', 'Upload the file first (PUT /api/reconcile-jobs/files/{name}) or place it in the inbox folder');
    }
    if (!existsSync(resolved) || !statSync(resolved).isFile()) {
      throw new DomainError('not_found', 'RECONCILE_FILE_NOT_FOUND', `no file ${path.basename(resolved)} in the inbox`, 'Upload the file first (PUT /api/reconcile-jobs/files/{name})');
    }
    return resolved;
  }

  private async row(jobId: string): Promise<ReconcileJobRow> {
    const row = await reconcileJobRepository.find(this.deps.db, jobId);
    if (row === undefined) throw new DomainError('not_found', 'RECONCILE_JOB_NOT_FOUND', `no reconciliation job ${jobId}`, 'Check the job id returned when the job was created');
    return row;
  }

  private enqueue(jobId: string): void {
    if (this.pending.has(jobId)) return;
    this.pending.add(jobId);
    this.queue = this.queue
      .then(() => this.execute(jobId))
      .catch((error: unknown) => this.deps.onError?.(error))
      .finally(() => this.pending.delete(jobId));
  }

  private async execute(jobId: string): Promise<void> {
    const now = (): string => this.deps.clock.now().toISOString();
    const runner = this.deps.nodeId ?? processNodeId;
    const leaseMs = this.deps.leaseMs ?? defaultLeaseMs;
    const until = (): string => new Date(this.deps.clock.now().getTime() + leaseMs).toISOString();
    // Run once, on one node: the job is this node's only if it claims it.
    if (!(await reconcileJobRepository.claim(this.deps.db, jobId, runner, now(), until()))) return;
    const renew = setInterval(() => { void reconcileJobRepository.renew(this.deps.db, jobId, runner, until()).catch(() => undefined); }, Math.max(10, Math.floor(leaseMs / 3)));
    renew.unref();
    try {
      await this.runClaimed(jobId, now);
    } finally {
      clearInterval(renew);
    }
  }

  private async runClaimed(jobId: string, now: () => string): Promise<void> {
    const row = await this.row(jobId);
    await reconcileJobRepository.update(this.deps.db, jobId, { phase: 'starting', progress: 0, attempts: row.attempts + 1, started_at: now(), updated_at: now(), error_code: null, error_message: null });
    let lastWrite = 0;
    let writing: Promise<void> = Promise.resolve();
    try {
      const preset = withMapping(row.preset as PresetName, JSON.parse(row.mapping) as Partial<Record<CanonicalField, string>>);
      const { summary } = await this.deps.reconcile.run({
        input: row.source_path,
        preset,
        outDir: row.out_dir,
        onProgress: (phase, fraction) => {
          // At most a few progress writes a second; each waits for the previous one.
          const t = Date.now();
          if (t - lastWrite < 250 && fraction < 1) return;
          lastWrite = t;
          writing = writing.then(() => reconcileJobRepository.update(this.deps.db, jobId, { phase, progress: Math.round(fraction * 1000) / 1000, updated_at: now() })).catch(() => undefined);
        },
      });
      await writing;
      if (this.deps.bulkJobs !== undefined) {
        const persons = await personsInResults(path.join(row.out_dir, reconcileOutputs.results));
        const day = isoDay(this.deps.clock.now());
        await this.deps.bulkJobs.record({
          jobId: `reconcile-${jobId}`,
          kind: 'reconcile',
          reader: this.deps.reader ?? reconcileReader,
          purpose: `Có trong đối soát dữ liệu (${preset.title}) ngày ${day}`,
          fields: preset.release.length === 0 ? ['status'] : ['status', ...preset.release],
        }, persons);
      }
      await reconcileJobRepository.update(this.deps.db, jobId, { state: 'succeeded', phase: 'done', progress: 1, rows: summary.rows, summary: JSON.stringify(summary), finished_at: now(), updated_at: now(), runner: null, lease_expires_at: null });
    } catch (error) {
      await writing;
      const code = isDomainError(error) ? error.code : 'RECONCILE_FAILED';
      const message = isDomainError(error) ? error.message : 'the reconciliation failed unexpectedly; see the server log';
      await reconcileJobRepository.update(this.deps.db, jobId, { state: 'failed', phase: 'failed', error_code: code, error_message: message, finished_at: now(), updated_at: now(), runner: null, lease_expires_at: null });
      if (!isDomainError(error)) throw error;
    }
  }
}
