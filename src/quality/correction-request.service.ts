import { randomUUID } from 'node:crypto';
import type { Kysely } from 'kysely';
import { adminUnitCatalog } from '../registry/admin-unit.catalog.js';
import { personScanReadModel } from '../registry/person-scan.read-model.js';
import type { Clock } from '../shared/clock.js';
import { DomainError } from '../shared/domain-error.js';
import type { DB } from '../store/database.types.js';
import { correctionRequestRepository, type CorrectionRequestRow } from './correction-request.repository.js';
import { detail, storedDetail } from './finding-detail.js';
import { findingRepository } from './finding.repository.js';
import { correctionRequestRuleId, type Finding } from './finding.types.js';
import { OwnerResolver } from './quality-scan.evaluator.js';

/** The fields of their record a citizen may ask to correct, with the names the worklist shows. */
export const correctableFields = {
  fullName: 'Họ và tên · Full name',
  birthDate: 'Ngày sinh · Birth date',
  sex: 'Giới tính · Sex',
  nationality: 'Quốc tịch · Nationality',
  ethnicity: 'Dân tộc · Ethnicity',
  religion: 'Tôn giáo · Religion',
  hometown: 'Quê quán · Home town',
  permanentAddress: 'Nơi thường trú · Permanent residence',
  currentAddress: 'Nơi ở hiện tại · Current residence',
} as const;
export type CorrectableField = keyof typeof correctableFields;

export function isCorrectableField(field: string): field is CorrectableField {
  return Object.hasOwn(correctableFields, field);
}

/** Where a request stands, as the citizen reads it: the status of its worklist finding. */
export type CorrectionRequestStatus = 'submitted' | 'corrected' | 'rejected';

export interface CorrectionRequestView {
  readonly requestId: string;
  readonly findingId: string;
  readonly field: CorrectableField;
  readonly explanation: string;
  readonly evidence: string | null;
  readonly communeCode: string;
  readonly submittedAt: string;
  readonly status: CorrectionRequestStatus;
  readonly decidedAt: string | null;
  /** The officer's reason when the request was answered. */
  readonly answer: string | null;
}

/** Open requests a person may have at once (each field once). */
export const openRequestsPerPerson = 5;

function statusOf(findingStatus: string): CorrectionRequestStatus {
  if (findingStatus === 'open') return 'submitted';
  return findingStatus === 'corrected' || findingStatus === 'no_longer_failing' ? 'corrected' : 'rejected';
}

/**
 * Citizens' requests to correct a field of their record. Each opens a finding in the worklist of
 * the person's commune (rule `citizen.correction_request`, which no scan closes and no score
 * counts); the commune's quality officers resolve it with a correction or dismiss it with a
 * reason, and the citizen follows its status in the portal.
 */
export class CorrectionRequestService {
  private readonly owners = new OwnerResolver(adminUnitCatalog());

  constructor(private readonly deps: { readonly db: Kysely<DB>; readonly clock: Clock; readonly newId?: () => string }) {}

  async submit(input: { readonly personId: string; readonly accountId: string; readonly field: string; readonly explanation: string; readonly evidence?: string | undefined }): Promise<CorrectionRequestView> {
    if (!isCorrectableField(input.field)) {
      throw new DomainError('invalid', 'CORRECTION_FIELD_INVALID', 'this field cannot be asked to be corrected here', `Choose one of ${Object.keys(correctableFields).join(', ')}`, { field: 'field' });
    }
    const explanation = typeof input.explanation === 'string' ? input.explanation.trim() : '';
    if (explanation.length < 10 || explanation.length > 1000) {
      throw new DomainError('invalid', 'CORRECTION_EXPLANATION_INVALID', 'the explanation has 10 to 1000 characters', 'Say what is wrong and what is right', { field: 'explanation' });
    }
    const evidence = typeof input.evidence === 'string' && input.evidence.trim() !== '' ? input.evidence.trim() : null;
    if (evidence !== null && evidence.length > 200) {
      throw new DomainError('invalid', 'CORRECTION_EVIDENCE_INVALID', 'the evidence is at most 200 characters', 'Name the document and its number', { field: 'evidence' });
    }
    const field = input.field;
    const at = this.deps.clock.now().toISOString();
    const requestId = `req_${(this.deps.newId ?? randomUUID)().replace(/-/g, '')}`;
    const findingId = `${correctionRequestRuleId}:${input.personId}:${requestId}`;
    await this.deps.db.transaction().execute(async (trx) => {
      const [person] = await personScanReadModel.rows(trx, [input.personId]);
      if (person === undefined) throw new DomainError('not_found', 'PERSON_NOT_FOUND', 'the registry has no such person', 'Sign in again');
      const open = await correctionRequestRepository.openOf(trx, input.personId);
      if (open.some((r) => r.field === field)) {
        throw new DomainError('conflict', 'CORRECTION_REQUEST_OPEN', 'a request about this field is already being handled', 'Wait for the answer to your earlier request');
      }
      if (open.length >= openRequestsPerPerson) {
        throw new DomainError('conflict', 'CORRECTION_REQUESTS_LIMIT', `at most ${openRequestsPerPerson} requests may be open at once`, 'Wait for the answers to your earlier requests');
      }
      const owner = this.owners.ofPerson(person);
      const finding: Finding = {
        findingId, ruleId: correctionRequestRuleId, group: 'correct', severity: 'warning', field, recordKind: 'person', recordId: input.personId,
        relatedId: null, communeCode: owner.communeCode, provinceCode: owner.provinceCode,
        // The explanation stays in the request row: the detail names the field and the request only.
        detail: storedDetail(detail('correction_request', { label: correctableFields[field], request: requestId })),
      };
      await findingRepository.insertOne(trx, finding, at);
      await correctionRequestRepository.insert(trx, { request_id: requestId, finding_id: findingId, person_id: input.personId, account_id: input.accountId, field, explanation, evidence, created_at: at });
    });
    const stored = await correctionRequestRepository.ofFinding(this.deps.db, findingId);
    if (stored === undefined) throw new Error('correction request not stored');
    return this.view(stored, undefined);
  }

  /** A person's requests, newest first, each with its status and the officer's answer. */
  async ofPerson(personId: string): Promise<readonly CorrectionRequestView[]> {
    const rows = await correctionRequestRepository.ofPerson(this.deps.db, personId, 100);
    const answers = await correctionRequestRepository.lastActions(this.deps.db, rows.map((r) => r.finding_id));
    return rows.map((r) => this.view(r, answers.get(r.finding_id)));
  }

  /** The request behind a worklist finding (the officer's view), or undefined for a scan's finding. */
  async ofFinding(findingId: string): Promise<CorrectionRequestView | undefined> {
    const row = await correctionRequestRepository.ofFinding(this.deps.db, findingId);
    if (row === undefined) return undefined;
    const answers = await correctionRequestRepository.lastActions(this.deps.db, [findingId]);
    return this.view(row, answers.get(findingId));
  }

  private view(r: CorrectionRequestRow, answer: { readonly reason: string; readonly actedAt: string } | undefined): CorrectionRequestView {
    const status = statusOf(r.status);
    return {
      requestId: r.request_id, findingId: r.finding_id, field: isCorrectableField(r.field) ? r.field : 'fullName', explanation: r.explanation, evidence: r.evidence,
      communeCode: r.commune_code, submittedAt: r.created_at, status, decidedAt: status === 'submitted' ? null : (answer?.actedAt ?? r.closed_at),
      answer: status === 'submitted' ? null : (answer?.reason ?? null),
    };
  }
}
