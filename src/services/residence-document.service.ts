import { createHash, randomBytes, randomUUID, sign } from 'node:crypto';
import { SDJwtVcInstance, type SdJwtVcPayload } from '@sd-jwt/sd-jwt-vc';
import type { Kysely } from 'kysely';
import type { AccessLog, AccessRecordInput } from '../audit/access-log.types.js';
import { officialClientId, readerUnitText, type OfficialReader } from '../audit/official-read.recorder.js';
import { provinceOf } from '../events/change-event.js';
import { residenceDocumentFields } from '../exchange/service.catalog.js';
import type { LifeEvent } from '../registry/life-event.types.js';
import { personRepository, type Executor } from '../registry/person.repository.js';
import type { PersonRecord } from '../registry/person.types.js';
import { describeCommune } from '../registry/person.view.js';
import { isoDay, type Clock } from '../shared/clock.js';
import { DomainError } from '../shared/domain-error.js';
import type { DB } from '../store/database.types.js';
import type { DocumentKeys } from './residence-document.keys.js';
import { residenceDocumentRepository, type DocumentRow } from './residence-document.repository.js';
import type { StatusListService } from './status-list.service.js';
import { statusPosition } from './status-list.js';

/** The credential type (vct) of a confirmation of residence. */
export const residenceVct = 'urn:vn:sachsong:residence-confirmation:1';

/** The law under which the registry confirms a person's residence. */
export const residenceLegalBasis = 'Luật Cư trú 2020';

/** What the access log names as the service of an issuance. */
export const residenceDocumentService = 'document.residence';

/** The citizen portal, as the access record's client of a document the citizen asked for. */
export const citizenPortalClientId = 'VN/GOV/sachsong/citizen-portal';

/** A residence as a document states it: address and unit names at issuance. */
export interface ResidenceClaim {
  readonly address: string | null;
  readonly communeCode: string;
  readonly commune: string | null;
  readonly province: string | null;
}

/** The claims a document may carry; those absent in the registry (no temporary residence) are left out. */
export interface ResidenceClaims {
  idNumber?: string;
  fullName?: string;
  birthDate?: string;
  sex?: string;
  nationality?: string;
  permanentResidence?: ResidenceClaim;
  temporaryResidence?: ResidenceClaim;
  currentResidence?: ResidenceClaim;
  /** The province of the permanent residence (else the current one): "lives in province X" alone. */
  residenceProvince?: { readonly code: string; readonly name: string | null };
  residenceCommune?: { readonly code: string; readonly name: string | null };
}

export type ResidenceClaimName = keyof ResidenceClaims;
export const residenceClaimNames = residenceDocumentFields as readonly ResidenceClaimName[];

/** Who receives a document: the access record of its issuance names them. */
export type Recipient =
  | { readonly kind: 'citizen'; readonly accountId: string; readonly requestId: string }
  | { readonly kind: 'officer'; readonly reader: OfficialReader; readonly requestId: string; readonly purpose: string | undefined; readonly caseReference: string | undefined }
  /** Recorded by the exchange's pipeline (the grant's purpose and legal basis), not here. */
  | { readonly kind: 'agency'; readonly clientId: string };

export interface IssueRequest {
  readonly personId: string;
  /** The claims to sign; default every one the registry has for the person. */
  readonly claims?: readonly string[] | undefined;
  readonly to: Recipient;
}

/** An issued document: the SD-JWT VC with every disclosure, and what it says. */
export interface IssuedDocument {
  readonly documentId: string;
  /** The issuer-signed JWT and all disclosures (`<jwt>~<d1>~…~`): the holder presents subsets of it. */
  readonly credential: string;
  readonly claims: ResidenceClaims;
  readonly issuedAt: string;
  readonly expiresAt: string;
  readonly statusList: { readonly uri: string; readonly idx: number };
}

export interface ResidenceDocumentDeps {
  readonly db: Kysely<DB>;
  readonly clock: Clock;
  readonly accessLog: AccessLog;
  readonly keys: DocumentKeys;
  readonly statusLists: StatusListService;
  /** The issuer identifier (`iss`): the public URL whose /.well-known/jwt-vc-issuer lists the keys. */
  readonly issuer: string;
  /** Days a document is valid; default 180 (a move or a death revokes it sooner). */
  readonly validDays?: number;
  readonly newId?: () => string;
}

/** The life events that change what a document says: each revokes the person's valid documents. */
const revokingEvents: Readonly<Partial<Record<LifeEvent['type'], string>>> = {
  residence_change: 'residence_change',
  death: 'death',
  name_change: 'name_change',
  correction: 'correction',
};

const sha256 = (data: string | ArrayBuffer): Uint8Array => new Uint8Array(createHash('sha256').update(typeof data === 'string' ? data : Buffer.from(data)).digest());

/** The SD-JWT hasher: SHA-256 only (the `_sd_alg` the documents name). */
export function sdHasher(data: string | ArrayBuffer, alg: string): Uint8Array {
  if (alg.toLowerCase() !== 'sha-256') throw new DomainError('invalid', 'DOCUMENT_HASH_UNSUPPORTED', `hash ${alg.slice(0, 20)} is not used by this registry`, 'Present a document issued by this registry');
  return sha256(data);
}

function residenceOf(commune: string | null, address: string | null, on: string): ResidenceClaim | undefined {
  if (commune === null) return undefined;
  const names = describeCommune(commune, on);
  return { address, communeCode: commune, commune: names.name, province: names.provinceName };
}

/** Every claim the registry has for a person on a day. */
export function claimsOf(person: PersonRecord, on: string): ResidenceClaims {
  const claims: ResidenceClaims = {
    idNumber: person.idNumber,
    fullName: person.fullName,
    birthDate: person.birthDate,
    sex: person.sex,
    nationality: person.nationality,
  };
  const permanent = residenceOf(person.permanentCommune, person.permanentAddress, on);
  const temporary = residenceOf(person.temporaryCommune, person.temporaryAddress, on);
  const current = residenceOf(person.currentCommune, person.currentAddress, on);
  if (permanent !== undefined) claims.permanentResidence = permanent;
  if (temporary !== undefined) claims.temporaryResidence = temporary;
  if (current !== undefined) claims.currentResidence = current;
  const home = person.permanentCommune ?? person.currentCommune ?? person.temporaryCommune;
  if (home !== null) {
    const names = describeCommune(home, on);
    claims.residenceProvince = { code: provinceOf(home) ?? '', name: names.provinceName };
    claims.residenceCommune = { code: home, name: names.name };
  }
  return claims;
}

function checkClaimNames(asked: readonly string[] | undefined): readonly ResidenceClaimName[] {
  if (asked === undefined || asked.length === 0) return residenceClaimNames;
  const unknown = asked.filter((c) => !(residenceClaimNames as readonly string[]).includes(c));
  if (unknown.length > 0) {
    throw new DomainError('invalid', 'DOCUMENT_CLAIM_UNKNOWN', `unknown claims: ${unknown.join(', ').slice(0, 200)}`, `Choose from: ${residenceClaimNames.join(', ')}`, { claims: unknown.slice(0, 20) });
  }
  return [...new Set(asked)] as ResidenceClaimName[];
}

/** The issuance-side SD-JWT VC instance (signs with the current document key). */
export function issuingInstance(keys: DocumentKeys): SDJwtVcInstance {
  return new SDJwtVcInstance({
    hasher: sdHasher,
    hashAlg: 'sha-256',
    saltGenerator: (length) => randomBytes(Math.max(16, length)).toString('base64url'),
    signer: (data) => sign('sha256', Buffer.from(data), { key: keys.privateKey, dsaEncoding: 'ieee-p1363' }).toString('base64url'),
    signAlg: keys.alg,
  });
}

/**
 * Confirmations of residence as SD-JWT VCs signed by the registry: issued to the citizen (their
 * portal session), to an officer on the citizen's request, or to an agency through the exchange;
 * each issuance an access record (the exchange's pipeline writes the agency's). A residence
 * change, a death, a change of name or a correction revokes the person's documents in the life
 * event's own transaction (`onRegistryEvent`), and the status list shows it.
 */
export class ResidenceDocumentService {
  private readonly sd: SDJwtVcInstance;
  private readonly newId: () => string;
  private readonly validDays: number;

  constructor(private readonly deps: ResidenceDocumentDeps) {
    this.sd = issuingInstance(deps.keys);
    this.newId = deps.newId ?? randomUUID;
    this.validDays = deps.validDays ?? 180;
  }

  /** Issues a document; the access record of a citizen's or officer's issuance is durable before it returns. */
  async issue(request: IssueRequest): Promise<IssuedDocument> {
    const names = checkClaimNames(request.claims);
    const now = this.deps.clock.now();
    const at = now.toISOString();
    const expires = new Date(now.getTime() + this.validDays * 86_400_000);
    const documentId = this.newId();
    // The holder's lock first, then the person: a life event recorded meanwhile revokes this document, or is seen by it.
    const { claims, seq } = await this.deps.db.transaction().execute(async (trx) => {
      await residenceDocumentRepository.lockHolder(trx, request.personId, at);
      const person = await personRepository.findById(trx, request.personId);
      if (person === undefined) throw new DomainError('not_found', 'PERSON_NOT_FOUND', 'no person has this ID number', 'Check the ID number');
      if (person.status === 'deceased') throw new DomainError('conflict', 'PERSON_DECEASED', 'the registry records this person as deceased: no residence can be confirmed', 'Ask for a death certificate instead');
      const all = claimsOf(person, isoDay(now));
      if (all.permanentResidence === undefined && all.temporaryResidence === undefined && all.currentResidence === undefined) {
        throw new DomainError('conflict', 'RESIDENCE_NOT_RECORDED', 'the registry records no residence for this person', 'Register a permanent or temporary residence first');
      }
      const picked: Record<string, unknown> = {};
      for (const n of names) if (all[n] !== undefined) picked[n] = all[n];
      if (Object.keys(picked).length === 0) throw new DomainError('conflict', 'DOCUMENT_CLAIMS_EMPTY', 'the registry holds none of the claims asked for this person', 'Ask for other claims');
      const row = {
        document_id: documentId,
        person_id: person.idNumber,
        issued_to: request.to.kind,
        issued_by: request.to.kind === 'citizen' ? request.to.accountId : request.to.kind === 'officer' ? request.to.reader.id : request.to.clientId,
        claims: JSON.stringify(Object.keys(picked)),
        key_id: this.deps.keys.keyId,
        issued_at: at,
        expires_at: expires.toISOString(),
        status: 'valid',
        revoked_at: null,
        revoked_reason: null,
      };
      return { claims: picked, seq: await residenceDocumentRepository.insert(trx, row) };
    });
    const { listId, idx } = statusPosition(seq);
    const uri = this.deps.statusLists.uri(listId);
    const payload: SdJwtVcPayload = {
      iss: this.deps.issuer,
      vct: residenceVct,
      jti: documentId,
      iat: Math.floor(now.getTime() / 1000),
      exp: Math.floor(expires.getTime() / 1000),
      status: { status_list: { idx, uri } },
      ...claims,
    };
    // Every personal claim selectively disclosable; iss, vct, jti, dates and status always shown.
    const frame = { _sd: Object.keys(claims) } as unknown as Parameters<SDJwtVcInstance['issue']>[1];
    const credential = await this.sd.issue(payload, frame, { header: { kid: this.deps.keys.keyId } });
    const fields = Object.keys(claims);
    const record = this.recordOf(request, fields, at);
    if (record !== undefined) {
      try {
        await this.deps.accessLog.append(record);
      } catch (error) {
        // Never delivered: no valid document may exist that nobody holds.
        await residenceDocumentRepository.revoke(this.deps.db, documentId, at, 'not_delivered').catch(() => undefined);
        this.deps.statusLists.invalidate();
        throw error;
      }
    }
    return { documentId, credential, claims, issuedAt: at, expiresAt: expires.toISOString(), statusList: { uri, idx } };
  }

  /** A presentation of the credential disclosing only `claims` (the holder's choice). */
  async present(credential: string, claims: readonly string[]): Promise<string> {
    const names = checkClaimNames(claims.length === 0 ? ['residenceProvince'] : claims);
    const frame = Object.fromEntries(names.map((n) => [n, true]));
    return this.sd.present(credential, frame);
  }

  /** A person's documents, newest first (no claim values: those are in the credential only). */
  async documentsOf(personId: string): Promise<readonly (DocumentRow & { readonly verifications: number })[]> {
    const rows = await residenceDocumentRepository.ofPerson(this.deps.db, personId);
    const counts = await residenceDocumentRepository.verificationCounts(this.deps.db, rows.map((r) => r.document_id));
    return rows.map((r) => ({ ...r, verifications: counts.get(r.document_id) ?? 0 }));
  }

  /** An officer's revocation (a document issued in error); refused when it is not a valid document of this person. */
  async revoke(personId: string, documentId: string): Promise<void> {
    const row = await residenceDocumentRepository.byDocumentId(this.deps.db, documentId);
    if (row?.person_id !== personId) throw new DomainError('not_found', 'DOCUMENT_NOT_FOUND', 'this person has no document with this id', 'List the person\'s documents');
    if (!(await residenceDocumentRepository.revoke(this.deps.db, documentId, this.deps.clock.now().toISOString(), 'officer'))) {
      throw new DomainError('conflict', 'DOCUMENT_ALREADY_REVOKED', 'the document is already revoked', 'Nothing to do');
    }
    this.deps.statusLists.invalidate();
  }

  /**
   * Inside the transaction of a life event: revokes the person's valid documents when the event
   * changes what they say. Takes the holder's lock first (see the repository).
   */
  async onRegistryEvent(trx: Executor, event: LifeEvent): Promise<void> {
    const reason = revokingEvents[event.type];
    if (reason === undefined) return;
    const at = event.recordedAt;
    await residenceDocumentRepository.lockHolder(trx, event.personId, at);
    if ((await residenceDocumentRepository.revokeValidOf(trx, event.personId, at, reason)) > 0) this.deps.statusLists.invalidate();
  }

  private recordOf(request: IssueRequest, fields: readonly string[], at: string): AccessRecordInput | undefined {
    const to = request.to;
    if (to.kind === 'agency') return undefined;
    if (to.kind === 'citizen') {
      return {
        personId: request.personId, at, clientId: citizenPortalClientId, officerId: to.accountId, service: residenceDocumentService,
        purpose: 'Cấp giấy xác nhận cư trú điện tử theo yêu cầu của công dân', legalBasis: residenceLegalBasis, fields, visibility: 'public', requestId: to.requestId,
      };
    }
    return {
      personId: request.personId, at, clientId: officialClientId(to.reader.kind), officerId: to.reader.id, service: residenceDocumentService,
      purpose: to.purpose ?? 'Cấp giấy xác nhận cư trú điện tử theo yêu cầu của công dân', legalBasis: residenceLegalBasis, fields, visibility: 'public', requestId: to.requestId,
      ...(to.caseReference === undefined ? {} : { caseReference: to.caseReference }),
      readerKind: to.reader.kind, readerRole: to.reader.role, readerUnit: readerUnitText(to.reader.unit),
    };
  }
}
