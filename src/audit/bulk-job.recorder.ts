import { createHash, type Hash } from 'node:crypto';
import type { Kysely } from 'kysely';
import type { Clock } from '../shared/clock.js';
import { DomainError } from '../shared/domain-error.js';
import type { DB } from '../store/database.types.js';
import type { AccessLog, AccessRecordInput } from './access-log.types.js';
import { officialLegalBasis, readerUnitText, type OfficialReader } from './official-read.recorder.js';
import { officialReadRepository } from './official-read.repository.js';

/**
 * The person id a bulk job's own access record carries: no ID number starts with province 000, so
 * no citizen's tracker lists it under their own number; the tracker shows the job to its members.
 */
export const bulkJobPersonId = '000000000000';

/** A bulk job that includes persons: an export, a reconciliation. */
export interface BulkJob {
  readonly jobId: string;
  /** `person.export` or `reconcile` (the record's service). */
  readonly kind: 'person.export' | 'reconcile';
  /** Who ran it; a job started by the system (a scheduled export) names a service account. */
  readonly reader: OfficialReader;
  /** What the citizen reads, e.g. "Đối soát với dữ liệu thuế ngày 2026-12-04". */
  readonly purpose: string;
  /** The fields the job released of each included person. */
  readonly fields: readonly string[];
}

/** The committed job: what its access record and the bulk_jobs row say. */
export interface BulkJobReceipt {
  readonly jobId: string;
  readonly persons: number;
  /** SHA-256 over the sorted, distinct person ids, each followed by "\n" (lowercase hex). */
  readonly personsSha256: string;
  /** The job's leaf index in the access log. */
  readonly logIndex: number;
}

/** SHA-256 over the sorted distinct ids, each followed by a newline: what a job's record commits to. */
export function personsSha256(personIds: Iterable<string>): string {
  const hash = createHash('sha256');
  for (const id of [...new Set(personIds)].sort()) hash.update(`${id}\n`);
  return hash.digest('hex');
}

/**
 * Collects a job's persons in ascending ID order (an export streams them so): their membership rows
 * go to the registry's store as they come (5,000 a transaction), the hash is updated on the way.
 * `commit` appends the job's one access record (durable) and then the job row: members without a
 * committed job row are shown to no one. Call commit before the job's output is released.
 */
export class BulkJobWriter {
  private readonly hash: Hash = createHash('sha256');
  private last = '';
  private count = 0;
  private buffer: string[] = [];
  private committed = false;

  constructor(private readonly job: BulkJob, private readonly deps: BulkJobRecorderDeps) {}

  /** Adds persons; ids must come in ascending order (repeats of the last are skipped). */
  async add(personIds: readonly string[]): Promise<void> {
    for (const id of personIds) {
      if (id === this.last) continue;
      if (id < this.last) {
        throw new DomainError('invalid', 'BULK_JOB_IDS_UNSORTED', 'A bulk job adds its persons in ascending ID order', 'Sort the person ids before adding them');
      }
      this.hash.update(`${id}\n`);
      this.last = id;
      this.count++;
      this.buffer.push(id);
    }
    if (this.buffer.length >= 5_000) await this.flush();
  }

  private async flush(): Promise<void> {
    const ids = this.buffer;
    this.buffer = [];
    if (ids.length === 0) return;
    await this.deps.db.transaction().execute((trx) => officialReadRepository.insertBulkJobMembers(trx, this.job.jobId, ids));
  }

  /** Writes the remaining members, the job's access record (durable) and its row. */
  async commit(): Promise<BulkJobReceipt> {
    if (this.committed) throw new DomainError('conflict', 'BULK_JOB_COMMITTED', 'The bulk job is already recorded', 'Start a new job');
    this.committed = true;
    await this.flush();
    const sha = this.hash.digest('hex');
    const at = this.deps.clock.now().toISOString();
    const record: AccessRecordInput = {
      personId: bulkJobPersonId,
      at,
      clientId: this.job.reader.kind === 'officer' ? 'VN/GOV/sachsong/officer' : 'VN/GOV/sachsong/service-account',
      officerId: this.job.reader.id,
      service: this.job.kind,
      purpose: this.job.purpose,
      legalBasis: officialLegalBasis,
      fields: this.job.fields,
      visibility: 'public',
      requestId: this.job.jobId,
      readerKind: 'job',
      readerRole: this.job.reader.role,
      readerUnit: readerUnitText(this.job.reader.unit),
      jobId: this.job.jobId,
      jobHash: sha,
    };
    const { index } = await this.deps.accessLog.append(record);
    await officialReadRepository.insertBulkJob(this.deps.db, {
      job_id: this.job.jobId, kind: this.job.kind, reader_id: this.job.reader.id, persons: this.count, persons_sha256: sha, log_index: index, recorded_at: at,
    });
    return { jobId: this.job.jobId, persons: this.count, personsSha256: sha, logIndex: index };
  }
}

export interface BulkJobRecorderDeps {
  readonly accessLog: AccessLog;
  /** The registry's store (bulk_jobs, bulk_job_members). */
  readonly db: Kysely<DB>;
  readonly clock: Clock;
}

/**
 * One access record per bulk job, shown in each included citizen's tracker, with the job's person
 * list committed by hash * (bench/bulk-job-records.bench.ts: 1 M persons in 3.6–5.2 s and 27 MB this way,
 * 32–85 s and 659 MB as one record per person).
 *
 * @example
 * const job = bulkJobs.begin({ jobId, kind: 'person.export', reader, purpose, fields });
 * for (const page of pages) await job.add(page.map((p) => p.id_number));
 * await job.commit(); // then release the file
 */
export class BulkJobRecorder {
  constructor(private readonly deps: BulkJobRecorderDeps) {}

  begin(job: BulkJob): BulkJobWriter {
    if (job.purpose.trim() === '') throw new DomainError('invalid', 'PURPOSE_REQUIRED', 'A bulk job needs its purpose', 'Say why the persons are included');
    return new BulkJobWriter(job, this.deps);
  }

  /** Records a job over a list in any order (sorted here). */
  async record(job: BulkJob, personIds: readonly string[]): Promise<BulkJobReceipt> {
    const writer = this.begin(job);
    await writer.add([...personIds].sort());
    return writer.commit();
  }
}
