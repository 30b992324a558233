import canonicalize from 'canonicalize';
import { DomainError } from '../shared/domain-error.js';
import type { AccessRecordsTable } from './audit.tables.js';
import type { AccessRecordInput, AccessVisibility } from './access-log.types.js';
import { leafHash } from './merkle-tree.js';

/**
 * Access records: validation, the canonical leaf (RFC 8785 JSON) that is stored and hashed, and
 * the store's rows.
 */

const idNumberPattern = /^\d{12}$/;
/** X-Road style client: instance VN, a member class (GOV, COM, …), the member and its subsystem. */
const clientIdPattern = /^VN\/[A-Z]{2,10}\/[A-Za-z0-9._-]{1,64}\/[A-Za-z0-9._-]{1,64}$/;
const instantPattern = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d{1,9})?)?(Z|[+-]\d{2}:\d{2})$/;
const datePattern = /^\d{4}-\d{2}-\d{2}$/;
const maxText = 1_000;
const maxFields = 200;

/** A record as stored and hashed: `at` normalised to UTC milliseconds, absent optionals left out. */
export type CanonicalAccessRecord = AccessRecordInput;

function invalid(code: string, message: string, action: string, field: string): DomainError {
  return new DomainError('invalid', code, message, action, { field });
}

function requireText(value: unknown, field: string): string {
  if (typeof value !== 'string' || value.trim() === '' || value.length > maxText) {
    throw invalid('ACCESS_RECORD_FIELD_INVALID', `${field} must be a non-empty text of at most ${maxText} characters`, `Set ${field} on the access record`, field);
  }
  // RFC 8785 (I-JSON) has no lone surrogates: such a text has no canonical form.
  if (/\p{Cs}/u.test(value)) {
    throw invalid('ACCESS_RECORD_FIELD_INVALID', `${field} is not valid Unicode text`, `Send ${field} as well-formed UTF-8`, field);
  }
  return value;
}

function optionalText(value: unknown, field: string): string | undefined {
  return value === undefined || value === null ? undefined : requireText(value, field);
}

/** True when `value` is a real calendar date YYYY-MM-DD. */
export function isCalendarDate(value: string): boolean {
  if (!datePattern.test(value)) return false;
  const date = new Date(`${value}T00:00:00Z`);
  return !Number.isNaN(date.getTime()) && date.toISOString().slice(0, 10) === value;
}

function normaliseVisibility(value: unknown): AccessVisibility {
  if (value === 'public') return 'public';
  if (typeof value === 'object' && value !== null && 'deferredUntil' in value) {
    const until: unknown = value.deferredUntil;
    if (typeof until === 'string' && isCalendarDate(until)) return { deferredUntil: until };
  }
  throw invalid('ACCESS_RECORD_VISIBILITY_INVALID', "visibility must be 'public' or { deferredUntil: 'YYYY-MM-DD' }", 'Give the date from which the person may see the record', 'visibility');
}

/**
 * Checks a record and returns its canonical form; throws DomainError('invalid', …) naming the
 * bad field. Never echoes the values (they are personal data).
 */
export function normaliseAccessRecord(input: AccessRecordInput): CanonicalAccessRecord {
  if (typeof input.personId !== 'string' || !idNumberPattern.test(input.personId)) {
    throw invalid('ACCESS_RECORD_PERSON_INVALID', 'personId must be a 12-digit ID number', 'Pass the ID number of the person whose data is released', 'personId');
  }
  const at = typeof input.at === 'string' && instantPattern.test(input.at) ? new Date(input.at) : undefined;
  if (at === undefined || Number.isNaN(at.getTime())) {
    throw invalid('ACCESS_RECORD_TIME_INVALID', 'at must be an ISO 8601 instant with a time zone', 'Pass the release time, e.g. 2026-11-27T14:20:00.000Z', 'at');
  }
  if (typeof input.clientId !== 'string' || !clientIdPattern.test(input.clientId)) {
    throw invalid('ACCESS_RECORD_CLIENT_INVALID', 'clientId must be an X-Road style identifier VN/<class>/<member>/<subsystem>', 'Pass the client as VN/GOV/<member>/<subsystem>', 'clientId');
  }
  if (!Array.isArray(input.fields) || input.fields.length === 0 || input.fields.length > maxFields) {
    throw invalid('ACCESS_RECORD_FIELDS_INVALID', `fields must list between 1 and ${maxFields} released field names`, 'List the names of the fields released', 'fields');
  }
  const fields = input.fields.map((f, i) => requireText(f, `fields[${i}]`));
  const receivingAgency = optionalText(input.receivingAgency, 'receivingAgency');
  const consentId = optionalText(input.consentId, 'consentId');
  const caseReference = optionalText(input.caseReference, 'caseReference');
  const reader = normaliseReader(input);
  return {
    personId: input.personId,
    at: at.toISOString(),
    clientId: input.clientId,
    ...(receivingAgency === undefined ? {} : { receivingAgency }),
    officerId: requireText(input.officerId, 'officerId'),
    service: requireText(input.service, 'service'),
    purpose: requireText(input.purpose, 'purpose'),
    legalBasis: requireText(input.legalBasis, 'legalBasis'),
    ...(consentId === undefined ? {} : { consentId }),
    fields,
    visibility: normaliseVisibility(input.visibility),
    requestId: requireText(input.requestId, 'requestId'),
    ...(caseReference === undefined ? {} : { caseReference }),
    ...reader,
  };
}

const readerKinds: ReadonlySet<unknown> = new Set(['officer', 'service_account', 'job']);
const readerUnitPattern = /^(nation|province:\d{2}|commune:\d{5})$/;
const sha256Pattern = /^[0-9a-f]{64}$/;

type ReaderMembers = Pick<AccessRecordInput, 'readerKind' | 'readerRole' | 'readerUnit' | 'breakGlass' | 'breakGlassReasonSha256' | 'jobId' | 'jobHash'>;

/** The official-read members (all optional; absent on the exchange's records). */
function normaliseReader(input: AccessRecordInput): ReaderMembers {
  const kind: unknown = input.readerKind;
  if (kind !== undefined && kind !== null && !readerKinds.has(kind)) {
    throw invalid('ACCESS_RECORD_READER_INVALID', "readerKind must be 'officer', 'service_account' or 'job'", 'Name the kind of reader', 'readerKind');
  }
  const readerRole = optionalText(input.readerRole, 'readerRole');
  const unit: unknown = input.readerUnit;
  if (unit !== undefined && unit !== null && (typeof unit !== 'string' || !readerUnitPattern.test(unit))) {
    throw invalid('ACCESS_RECORD_READER_INVALID', 'readerUnit must be nation, province:<2 digits> or commune:<5 digits>', "Pass the reader's 2025 unit", 'readerUnit');
  }
  const breakGlass: unknown = input.breakGlass;
  if (breakGlass !== undefined && breakGlass !== null && breakGlass !== true) {
    throw invalid('ACCESS_RECORD_READER_INVALID', 'breakGlass is true or absent', 'Leave breakGlass out unless the read was a break-glass read', 'breakGlass');
  }
  const hashes = { breakGlassReasonSha256: input.breakGlassReasonSha256, jobHash: input.jobHash };
  for (const [field, value] of Object.entries(hashes) as [string, unknown][]) {
    if (value !== undefined && value !== null && (typeof value !== 'string' || !sha256Pattern.test(value))) {
      throw invalid('ACCESS_RECORD_READER_INVALID', `${field} must be a SHA-256 in lowercase hex`, `Pass ${field} as 64 hex digits`, field);
    }
  }
  const jobId = optionalText(input.jobId, 'jobId');
  return {
    ...(kind === undefined || kind === null ? {} : { readerKind: kind as NonNullable<AccessRecordInput['readerKind']> }),
    ...(readerRole === undefined ? {} : { readerRole }),
    ...(unit === undefined || unit === null ? {} : { readerUnit: unit }),
    ...(breakGlass === true ? { breakGlass: true as const } : {}),
    ...(typeof hashes.breakGlassReasonSha256 === 'string' ? { breakGlassReasonSha256: hashes.breakGlassReasonSha256 } : {}),
    ...(jobId === undefined ? {} : { jobId }),
    ...(typeof hashes.jobHash === 'string' ? { jobHash: hashes.jobHash } : {}),
  };
}

/**
 * The leaf: RFC 8785 canonical JSON of the canonical record, as UTF-8 text.
 *
 * Written out by hand for this one shape, members in RFC 8785 order (UTF-16 code units), because
 * the generic `canonicalize` costs several times more and the log appends 100,000 records a
 * second. RFC 8785 serialises strings exactly as JSON.stringify does. A test holds this equal to
 * `canonicalize` (see referenceLeaf) over many records.
 */
export function canonicalLeaf(r: CanonicalAccessRecord): string {
  const s = JSON.stringify;
  const visibility = r.visibility === 'public' ? '"public"' : `{"deferredUntil":${s(r.visibility.deferredUntil)}}`;
  return (
    `{"at":${s(r.at)}` +
    (r.breakGlass === true ? ',"breakGlass":true' : '') +
    (r.breakGlassReasonSha256 === undefined ? '' : `,"breakGlassReasonSha256":${s(r.breakGlassReasonSha256)}`) +
    (r.caseReference === undefined ? '' : `,"caseReference":${s(r.caseReference)}`) +
    `,"clientId":${s(r.clientId)}` +
    (r.consentId === undefined ? '' : `,"consentId":${s(r.consentId)}`) +
    `,"fields":[${r.fields.map((f) => s(f)).join(',')}]` +
    (r.jobHash === undefined ? '' : `,"jobHash":${s(r.jobHash)}`) +
    (r.jobId === undefined ? '' : `,"jobId":${s(r.jobId)}`) +
    `,"legalBasis":${s(r.legalBasis)},"officerId":${s(r.officerId)},"personId":${s(r.personId)},"purpose":${s(r.purpose)}` +
    (r.readerKind === undefined ? '' : `,"readerKind":${s(r.readerKind)}`) +
    (r.readerRole === undefined ? '' : `,"readerRole":${s(r.readerRole)}`) +
    (r.readerUnit === undefined ? '' : `,"readerUnit":${s(r.readerUnit)}`) +
    (r.receivingAgency === undefined ? '' : `,"receivingAgency":${s(r.receivingAgency)}`) +
    `,"requestId":${s(r.requestId)},"service":${s(r.service)},"visibility":${visibility}}`
  );
}

/** The leaf by the generic RFC 8785 implementation (`canonicalize`): the reference canonicalLeaf is held to. */
export function referenceLeaf(record: CanonicalAccessRecord): string {
  const text = canonicalize(record);
  if (text === undefined) throw new Error('an access record has no JSON form');
  return text;
}

/** A validated record as the log writes it: its leaf, leaf hash and the two tracker columns; the index comes at commit. */
export type PreparedAccessRecord = Omit<AccessRecordsTable, 'idx'>;

/** Characters JSON.stringify (and so RFC 8785) escapes in a string; lone surrogates are rejected before. */
// eslint-disable-next-line no-control-regex -- the control characters are exactly what JSON escapes
const needsEscape = /["\\\u0000-\u001f]/;
/** Any UTF-16 surrogate: only texts with one need the (slower) lone-surrogate check. */
const anySurrogate = /[\ud800-\udfff]/;
/** `at` already in the form toISOString gives: re-formatting it is then only a check. */
const utcMillisPattern = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/;

function quote(s: string): string {
  return needsEscape.test(s) ? JSON.stringify(s) : `"${s}"`;
}

/** requireText's rule without its error: lone surrogates are looked for once, in the whole leaf. */
function isText(value: unknown): value is string {
  return typeof value === 'string' && value.length <= maxText && value.trim() !== '';
}

function isOptionalText(value: unknown): value is string | undefined | null {
  return value === undefined || value === null || isText(value);
}

/**
 * Validation, canonical leaf and leaf hash in one pass, without building the canonical record:
 * the append path. Accepts and rejects exactly what normaliseAccessRecord does: any record the
 * fast checks refuse goes through normaliseAccessRecord, which throws its precise error (or, for
 * the rare record they are too strict for, accepts it). Its leaf is exactly
 * canonicalLeaf(normaliseAccessRecord(input)); a test holds both, and holds the leaf to the
 * generic RFC 8785 implementation.
 */
export function prepareAccessRecord(input: AccessRecordInput): PreparedAccessRecord {
  const fast = fastPrepare(input);
  return fast === undefined ? fromRow(input) : { ...fast, leaf_hash: leafHash(fast.leaf) };
}

/**
 * prepareAccessRecord without the leaf hash: what the access journal writes (its folder hashes
 * the leaf on the writer thread). Validates exactly as prepareAccessRecord does.
 */
export function prepareAccessLeaf(input: AccessRecordInput): Omit<PreparedAccessRecord, 'leaf_hash'> {
  const fast = fastPrepare(input);
  if (fast !== undefined) return fast;
  const row = fromRow(input);
  return { person_id: row.person_id, deferred_until: row.deferred_until, leaf: row.leaf };
}

/** The common case in a tight loop; undefined for anything unusual or wrong. */
function fastPrepare(input: AccessRecordInput): Omit<PreparedAccessRecord, 'leaf_hash'> | undefined {
  const personId: unknown = input.personId;
  if (typeof personId !== 'string' || !idNumberPattern.test(personId)) return undefined;
  const rawAt: unknown = input.at;
  if (typeof rawAt !== 'string') return undefined;
  let at: string;
  // Already toISOString's form: a day ≤ 28 and an hour < 24 cannot roll over, so parsing checks it.
  if (utcMillisPattern.test(rawAt) && rawAt.slice(8, 10) <= '28' && rawAt.slice(11, 13) < '24' && !Number.isNaN(Date.parse(rawAt))) {
    at = rawAt;
  } else {
    if (!instantPattern.test(rawAt)) return undefined;
    const time = new Date(rawAt);
    if (Number.isNaN(time.getTime())) return undefined;
    at = time.toISOString();
  }
  const clientId: unknown = input.clientId;
  if (typeof clientId !== 'string' || !clientIdPattern.test(clientId)) return undefined;
  const fields: unknown = input.fields;
  if (!Array.isArray(fields) || fields.length === 0 || fields.length > maxFields) return undefined;
  let fieldList = '';
  for (let i = 0; i < fields.length; i++) {
    const f: unknown = fields[i];
    if (!isText(f)) return undefined;
    fieldList += (i === 0 ? '' : ',') + quote(f);
  }
  const { receivingAgency, consentId, caseReference, officerId, service, purpose, legalBasis, requestId } = input as Record<keyof AccessRecordInput, unknown>;
  // An official's read: reader, break-glass and job members, each absent (undefined or null) or well-formed.
  const { readerKind, readerRole, readerUnit, breakGlass, breakGlassReasonSha256, jobId, jobHash } = input as Record<keyof AccessRecordInput, unknown>;
  const absent = (v: unknown): v is undefined | null => v === undefined || v === null;
  if (!absent(readerKind) && !readerKinds.has(readerKind)) return undefined;
  if (!absent(readerUnit) && (typeof readerUnit !== 'string' || !readerUnitPattern.test(readerUnit))) return undefined;
  if (!absent(breakGlass) && breakGlass !== true) return undefined;
  if (!absent(breakGlassReasonSha256) && (typeof breakGlassReasonSha256 !== 'string' || !sha256Pattern.test(breakGlassReasonSha256))) return undefined;
  if (!absent(jobHash) && (typeof jobHash !== 'string' || !sha256Pattern.test(jobHash))) return undefined;
  if (!isOptionalText(readerRole) || !isOptionalText(jobId)) return undefined;
  if (!isOptionalText(receivingAgency) || !isOptionalText(consentId) || !isOptionalText(caseReference)) return undefined;
  if (!isText(officerId) || !isText(service) || !isText(purpose) || !isText(legalBasis) || !isText(requestId)) return undefined;
  const visibility: unknown = input.visibility;
  let deferred: string | null = null;
  if (visibility !== 'public') {
    if (typeof visibility !== 'object' || visibility === null || !('deferredUntil' in visibility)) return undefined;
    const until: unknown = visibility.deferredUntil;
    if (typeof until !== 'string' || !isCalendarDate(until)) return undefined;
    deferred = until;
  }
  // Members in RFC 8785 order (UTF-16 code units of the names), as canonicalLeaf writes them.
  const leaf =
    `{"at":"${at}"` +
    (breakGlass === true ? ',"breakGlass":true' : '') +
    (absent(breakGlassReasonSha256) ? '' : `,"breakGlassReasonSha256":"${breakGlassReasonSha256}"`) +
    (caseReference === undefined || caseReference === null ? '' : `,"caseReference":${quote(caseReference)}`) +
    `,"clientId":"${clientId}"` +
    (consentId === undefined || consentId === null ? '' : `,"consentId":${quote(consentId)}`) +
    `,"fields":[${fieldList}]` +
    (absent(jobHash) ? '' : `,"jobHash":"${jobHash}"`) +
    (absent(jobId) ? '' : `,"jobId":${quote(jobId)}`) +
    `,"legalBasis":${quote(legalBasis)},"officerId":${quote(officerId)},"personId":"${personId}","purpose":${quote(purpose)}` +
    (absent(readerKind) ? '' : `,"readerKind":"${readerKind as string}"`) +
    (absent(readerRole) ? '' : `,"readerRole":${quote(readerRole)}`) +
    (absent(readerUnit) ? '' : `,"readerUnit":"${readerUnit}"`) +
    (receivingAgency === undefined || receivingAgency === null ? '' : `,"receivingAgency":${quote(receivingAgency)}`) +
    `,"requestId":${quote(requestId)},"service":${quote(service)},"visibility":` +
    (deferred === null ? '"public"}' : `{"deferredUntil":"${deferred}"}}`);
  // A text with a surrogate may hold a lone one: the precise path checks member by member.
  if (anySurrogate.test(leaf)) return undefined;
  return { person_id: personId, deferred_until: deferred, leaf };
}

/** The reference path, for a record the fast checks refused: normaliseAccessRecord throws its precise error. */
function fromRow(input: AccessRecordInput): PreparedAccessRecord {
  const row = toRow(0, normaliseAccessRecord(input));
  return { person_id: row.person_id, deferred_until: row.deferred_until, leaf: row.leaf, leaf_hash: row.leaf_hash };
}

/** The row for a canonical record at leaf `index`, with its leaf and leaf hash. */
export function toRow(index: number, r: CanonicalAccessRecord): AccessRecordsTable {
  const leaf = canonicalLeaf(r);
  return {
    idx: index,
    person_id: r.personId,
    deferred_until: r.visibility === 'public' ? null : r.visibility.deferredUntil,
    leaf,
    leaf_hash: leafHash(leaf),
  };
}

/**
 * The record a stored leaf says, or undefined when the leaf is not a well-formed access record
 * (which verification reports; a reader never trusts a leaf it cannot parse).
 */
export function parseLeaf(leaf: string): CanonicalAccessRecord | undefined {
  try {
    const value = JSON.parse(leaf) as AccessRecordInput;
    const record = normaliseAccessRecord(value);
    return canonicalLeaf(record) === leaf ? record : undefined;
  } catch {
    return undefined;
  }
}
