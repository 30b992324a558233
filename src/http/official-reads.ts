import type { FastifyRequest } from 'fastify';
import type { OfficialRead, OfficialReader } from '../audit/official-read.recorder.js';
import type { Actor, Decision } from '../identity/authorization.policy.js';
import { DomainError } from '../shared/domain-error.js';

/** Where a route records an official's read before answering (audit's OfficialReadRecorder). */
export interface OfficialReadSink {
  record(read: OfficialRead): Promise<void>;
}

export type OfficialReadAction = OfficialRead['action'];

/** What the citizen's tracker shows when the reader gave no purpose (X-Purpose). */
export const defaultPurposes: Readonly<Record<OfficialReadAction, string>> = {
  'person.read': 'Tra cứu hồ sơ công dân trong công tác quản lý dân cư',
  'person.events': 'Tra cứu biến động của công dân trong công tác quản lý dân cư',
  'person.history': 'Tra cứu lịch sử hồ sơ công dân trong công tác quản lý dân cư',
  'household.read': 'Tra cứu hộ gia đình trong công tác quản lý dân cư',
  'person.search': 'Tìm kiếm công dân trong công tác quản lý dân cư',
  'person.export': 'Xuất dữ liệu dân cư theo đơn vị hành chính',
  'procedure.read': 'Theo dõi, giải quyết thủ tục liên thông của công dân',
};

export const purposeHeader = 'x-purpose';
export const caseReferenceHeader = 'x-case-reference';
export const breakGlassHeader = 'x-break-glass-reason';

// As the exchange checks a case reference: 1–128 characters, none a control character.
const textPattern = /^[^\p{Cc}]{1,128}$/u;

function headerText(request: FastifyRequest, name: string, max = 128): string | undefined {
  const raw = request.headers[name];
  if (raw === undefined) return undefined;
  const value = typeof raw === 'string' ? raw.trim() : undefined;
  const ok = value !== undefined && (max === 128 ? textPattern.test(value) : /^[^\p{Cc}]+$/u.test(value) && Array.from(value).length <= max);
  if (!ok) {
    throw new DomainError('invalid', 'HEADER_INVALID', `${name} must be one line of 1–${String(max)} characters without control characters`, `Correct or leave out the ${name} header`, { header: name });
  }
  return value;
}

/** The break-glass reason of a request (X-Break-Glass-Reason), checked for shape; its length is the policy's business. */
export function breakGlassReasonOf(request: FastifyRequest): string | undefined {
  return headerText(request, breakGlassHeader, 500);
}

/** The reader as the access record names it. */
export function readerOf(actor: Actor): OfficialReader {
  return {
    kind: actor.kind,
    id: actor.id,
    role: actor.kind === 'officer' ? actor.role : 'service_account',
    unit: actor.unit.level === 'nation' ? { level: 'nation', code: null } : { level: actor.unit.level, code: actor.unit.code },
  };
}

/**
 * The record of one official read: the reader, the purpose (X-Purpose, else the action's
 * default) and case (X-Case-Reference), and the break-glass reason only when the decision needed it.
 */
export function officialRead(
  request: FastifyRequest,
  actor: Actor,
  action: OfficialReadAction,
  personIds: readonly string[],
  fields: readonly string[],
  decision: Decision | undefined,
): OfficialRead {
  return {
    reader: readerOf(actor),
    action,
    personIds,
    fields,
    purpose: headerText(request, purposeHeader) ?? defaultPurposes[action],
    caseReference: headerText(request, caseReferenceHeader),
    breakGlassReason: decision?.breakGlass === true ? breakGlassReasonOf(request) : undefined,
    requestId: request.id,
  };
}
