import { createHash } from 'node:crypto';
import type { Clock } from '../shared/clock.js';
import { DomainError, isDomainError } from '../shared/domain-error.js';
import type { AccessLog, AccessRecordInput } from './access-log.types.js';
import { OfficialReadLeaves } from './official-read.leaves.js';

/** Who read: an officer signed in, or a service account with a key. */
export interface OfficialReader {
  readonly kind: 'officer' | 'service_account';
  readonly id: string;
  readonly role: string;
  readonly unit: { readonly level: 'commune' | 'province' | 'nation'; readonly code: string | null };
}

/** One official read of one or more persons, as a route answers it. */
export interface OfficialRead {
  readonly reader: OfficialReader;
  readonly action: 'person.read' | 'person.events' | 'person.history' | 'household.read' | 'person.search' | 'person.export' | 'procedure.read';
  /** Every person whose data the answer shows (a household's members, a search's listed persons). */
  readonly personIds: readonly string[];
  /** The names of the fields the answer shows (never their values). */
  readonly fields: readonly string[];
  readonly purpose: string;
  readonly caseReference: string | undefined;
  /** Set on a break-glass read (outside the reader's unit): the written reason, for the auditors. */
  readonly breakGlassReason: string | undefined;
  readonly requestId: string;
}

/** Told of every read once its records are durable (the officers' misuse monitor); must not throw. */
export type OfficialReadObserver = (read: OfficialRead, at: Date) => void;

/** Keeps the text of a break-glass reason for the auditors (break_glass_reasons); resolves once stored. */
export type BreakGlassReasonStore = (entry: {
  readonly requestId: string;
  readonly readerId: string;
  readonly action: OfficialRead['action'];
  /** The persons the answer shows (the auditors review whose data was read). */
  readonly personIds: readonly string[];
  readonly reason: string;
  readonly reasonSha256: string;
  readonly at: string;
}) => Promise<void>;

export interface OfficialReadRecorderDeps {
  readonly accessLog: AccessLog;
  readonly clock: Clock;
  /** Where break-glass reasons are kept; without it a break-glass read is refused (the reason would be lost). */
  readonly reasons?: BreakGlassReasonStore;
  readonly observe?: OfficialReadObserver;
}

/** The law under which officials read the registry. */
export const officialLegalBasis = 'Luật Căn cước 2023';

/** The X-Road style client an official read is recorded under: the registry's own console and API. */
export function officialClientId(kind: OfficialReader['kind']): string {
  return kind === 'officer' ? 'VN/GOV/sachsong/officer' : 'VN/GOV/sachsong/service-account';
}

/** `nation`, `province:NN` or `commune:NNNNN`: the unit as the access record carries it. */
export function readerUnitText(unit: OfficialReader['unit']): string {
  return unit.level === 'nation' || unit.code === null ? 'nation' : `${unit.level}:${unit.code}`;
}

export function sha256Hex(text: string): string {
  return createHash('sha256').update(text, 'utf8').digest('hex');
}

/** The access records of one official read: one per person, in the order given (duplicates once). */
export function officialReadRecords(read: OfficialRead, at: Date, reasonSha256?: string): AccessRecordInput[] {
  const common = {
    at: at.toISOString(),
    clientId: officialClientId(read.reader.kind),
    officerId: read.reader.id,
    service: read.action,
    purpose: read.purpose,
    legalBasis: officialLegalBasis,
    fields: read.fields,
    visibility: 'public' as const,
    requestId: read.requestId,
    ...(read.caseReference === undefined ? {} : { caseReference: read.caseReference }),
    readerKind: read.reader.kind,
    readerRole: read.reader.role,
    readerUnit: readerUnitText(read.reader.unit),
    ...(reasonSha256 === undefined ? {} : { breakGlass: true as const, breakGlassReasonSha256: reasonSha256 }),
  };
  return [...new Set(read.personIds)].map((personId) => ({ personId, ...common }));
}

/**
 * Records officials' reads in the access log (the same Merkle log the exchange writes): one
 * record per person shown, naming the reader, role, unit, action, purpose or case, fields and,
 * for a break-glass read, the mark and the SHA-256 of the reason (its text goes to the auditors'
 * table, never to the citizen). `record` resolves only once every record is committed; a route
 * sends its answer after, and a rejection (ACCESS_LOG_UNAVAILABLE, 503) means no data leaves.
 *
 * @example
 * await officialReads.record({ reader, action: 'person.read', personIds: [id], fields, purpose, caseReference: undefined, breakGlassReason: undefined, requestId });
 * return view; // the read is in the log now
 */
export class OfficialReadRecorder {
  private readonly leaves = new OfficialReadLeaves((read, at) => officialReadRecords(read, at));

  constructor(private readonly deps: OfficialReadRecorderDeps) {}

  record(read: OfficialRead): Promise<void> {
    if (read.personIds.length === 0) return Promise.resolve();
    if (read.purpose.trim() === '') {
      return Promise.reject(new DomainError('invalid', 'PURPOSE_REQUIRED', 'An official read needs its purpose', 'Say why the data is read (or give the case reference)'));
    }
    const at = this.deps.clock.now();
    // The common read (no break-glass) in one step: its leaves from the template, one journal append.
    const log = this.deps.accessLog;
    const leaves = log.appendLeaves === undefined ? undefined : this.leaves.of(read, at);
    if (leaves !== undefined && log.appendLeaves !== undefined) {
      return log.appendLeaves(leaves).then(() => { this.deps.observe?.(read, at); }, (error: unknown) => { throw unavailable(error); });
    }
    return this.recordInFull(read, at);
  }

  private async recordInFull(read: OfficialRead, at: Date): Promise<void> {
    let reasonSha256: string | undefined;
    if (read.breakGlassReason !== undefined) {
      const reasons = this.deps.reasons;
      if (reasons === undefined) {
        throw new DomainError('unavailable', 'BREAK_GLASS_UNRECORDED', 'Break-glass reads cannot be recorded here', 'Ask the system administrator to configure the break-glass reasons store');
      }
      reasonSha256 = sha256Hex(read.breakGlassReason);
      await this.durably(() => reasons({ requestId: read.requestId, readerId: read.reader.id, action: read.action, personIds: [...new Set(read.personIds)], reason: read.breakGlassReason ?? '', reasonSha256: reasonSha256 ?? '', at: at.toISOString() }));
    }
    // No index is needed: the journal's append (where the log has one) is durable before the tree has it.
    const records = officialReadRecords(read, at, reasonSha256);
    const log = this.deps.accessLog;
    await this.durably(() => (log.appendUnindexed === undefined ? log.appendMany(records) : log.appendUnindexed(records)));
    this.deps.observe?.(read, at);
  }

  /** Runs a write; anything but a validation error becomes ACCESS_LOG_UNAVAILABLE (503): the data must not leave. */
  private async durably(write: () => Promise<unknown>): Promise<void> {
    try {
      await write();
    } catch (error) {
      throw unavailable(error);
    }
  }
}

/** A failed write as the route reports it: validation and unavailability errors as they are, anything else ACCESS_LOG_UNAVAILABLE (503). */
function unavailable(error: unknown): Error {
  if (isDomainError(error) && (error.kind === 'invalid' || error.kind === 'unavailable')) return error;
  return new DomainError('unavailable', 'ACCESS_LOG_UNAVAILABLE', 'The read could not be recorded in the access log', 'Try again shortly; no data was released', {
    cause: error instanceof Error ? error.name : 'unknown',
  });
}
