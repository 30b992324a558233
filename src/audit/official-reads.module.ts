import type { Kysely } from 'kysely';
import type { Clock } from '../shared/clock.js';
import type { DB } from '../store/database.types.js';
import type { AccessLog } from './access-log.types.js';
import { BulkJobRecorder } from './bulk-job.recorder.js';
import { OfficialReadMonitor, type OfficialReadMonitorOptions } from './official-read.monitor.js';
import { OfficialReadRecorder } from './official-read.recorder.js';
import { officialReadRepository } from './official-read.repository.js';

export interface OfficialReadsDeps {
  readonly accessLog: AccessLog;
  /** The registry's store: break-glass reasons, sensitive persons, alerts, bulk jobs. */
  readonly db: Kysely<DB>;
  readonly clock: Clock;
  readonly monitor?: OfficialReadMonitorOptions;
}

export interface OfficialReads {
  /** Pass to the person routes (`reads`): records each read before the answer leaves. */
  readonly recorder: OfficialReadRecorder;
  /** Raises the officers' alerts behind the recorder. */
  readonly monitor: OfficialReadMonitor;
  /** Exports and reconciliations: one record per job. */
  readonly bulkJobs: BulkJobRecorder;
}

/**
 * Officials' reads over one access log and the registry's store: the recorder (break-glass
 * reasons kept for the auditors), the misuse monitor it tells, and the bulk-job recorder.
 *
 * @example
 * const officialReads = createOfficialReads({ accessLog, db: database.db, clock, monitor: { onError } });
 * await app.register(personRoutes, { …, reads: officialReads.recorder });
 */
export function createOfficialReads(deps: OfficialReadsDeps): OfficialReads {
  const monitor = new OfficialReadMonitor(deps.db, deps.monitor);
  const recorder = new OfficialReadRecorder({
    accessLog: deps.accessLog,
    clock: deps.clock,
    reasons: (e) => officialReadRepository.insertBreakGlassReason(deps.db, { request_id: e.requestId, reader_id: e.readerId, reason: e.reason, reason_sha256: e.reasonSha256, recorded_at: e.at, action: e.action, person_ids: JSON.stringify(e.personIds) }),
    observe: monitor.observe,
  });
  return { recorder, monitor, bulkJobs: new BulkJobRecorder({ accessLog: deps.accessLog, db: deps.db, clock: deps.clock }) };
}
