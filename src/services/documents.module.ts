import type { Kysely } from 'kysely';
import type { AccessLog } from '../audit/access-log.types.js';
import type { Grant } from '../exchange/exchange.types.js';
import type { PreparedCall } from '../exchange/registry-exchange.services.js';
import type { LifeEvent } from '../registry/life-event.types.js';
import type { Executor } from '../registry/person.repository.js';
import type { Clock } from '../shared/clock.js';
import { DomainError } from '../shared/domain-error.js';
import type { DB } from '../store/database.types.js';
import { DocumentVerifyService } from './document-verify.service.js';
import { loadDocumentKeys, type DocumentKeys } from './residence-document.keys.js';
import { ResidenceDocumentService } from './residence-document.service.js';
import { StatusListService } from './status-list.service.js';

export interface DocumentsDeps {
  readonly db: Kysely<DB>;
  readonly clock: Clock;
  readonly accessLog: AccessLog;
  /** config.publicUrl: the documents' issuer, the status lists' and the verify page's address; default http://localhost:8080. */
  readonly publicUrl?: string | undefined;
  /** Days a document is valid; default 180. */
  readonly validDays?: number;
  /** Seconds a signed status list is served before it is built again; default 60. */
  readonly statusTtlSeconds?: number;
}

/** The agency's body of a `residence-document` call through the exchange. */
export interface ResidenceDocumentCall {
  readonly idNumber: string;
  readonly fields?: readonly string[] | undefined;
}

/** Signed documents assembled: the issuer, the verifier, the status lists and their addresses. */
export interface Documents {
  readonly keys: DocumentKeys;
  readonly residence: ResidenceDocumentService;
  readonly verifier: DocumentVerifyService;
  readonly statusLists: StatusListService;
  /** The `iss` of every document. */
  readonly issuer: string;
  /** The public verify page (the PDF's QR code opens it with the presentation after `#`). */
  readonly verifyUrl: string;
  /** Revokes a person's documents in a life event's transaction (RegistryDeps.onEventRecorded). */
  onRegistryEvent(trx: Executor, event: LifeEvent): Promise<void>;
  /** The exchange's `residence-document` service: a document with the granted claims, for the agency. */
  exchangeService(body: ResidenceDocumentCall, grant: Grant): PreparedCall;
}

/** Public paths, shared by the routes and the addresses written in documents. */
export const documentPaths = {
  issuerMetadata: '/.well-known/jwt-vc-issuer',
  jwks: '/documents/jwks.json',
  statusLists: '/documents/status-lists',
  verifyPage: '/verify/residence',
  verifyApi: '/documents/verify',
} as const;

export async function createDocuments(deps: DocumentsDeps): Promise<Documents> {
  const origin = (deps.publicUrl ?? 'http://localhost:8080').replace(/\/+$/, '');
  const keys = await loadDocumentKeys(deps.db, deps.clock);
  const statusLists = new StatusListService({
    db: deps.db, clock: deps.clock, keys, baseUri: `${origin}${documentPaths.statusLists}`,
    ...(deps.statusTtlSeconds === undefined ? {} : { ttlSeconds: deps.statusTtlSeconds }),
  });
  const residence = new ResidenceDocumentService({
    db: deps.db, clock: deps.clock, accessLog: deps.accessLog, keys, statusLists, issuer: origin,
    ...(deps.validDays === undefined ? {} : { validDays: deps.validDays }),
  });
  const verifier = new DocumentVerifyService({ db: deps.db, clock: deps.clock, keys, issuer: origin });
  return {
    keys,
    residence,
    verifier,
    statusLists,
    issuer: origin,
    verifyUrl: `${origin}${documentPaths.verifyPage}`,
    onRegistryEvent: (trx, event) => residence.onRegistryEvent(trx, event),
    exchangeService: (body, grant) => {
      const asked = body.fields === undefined || body.fields.length === 0 ? grant.fields : [...new Set(body.fields)];
      const missing = asked.filter((f) => !grant.fields.includes(f));
      if (missing.length > 0) {
        throw new DomainError('forbidden', 'FIELD_NOT_GRANTED', `fields not granted to this client: ${missing.join(', ').slice(0, 200)}`, 'Ask only for the granted claims, or ask the exchange operators to extend the grant', { fields: missing.slice(0, 20) });
      }
      return {
        subject: body.idNumber,
        fields: asked,
        run: async () => {
          const issued = await residence.issue({ personId: body.idNumber, claims: asked, to: { kind: 'agency', clientId: grant.clientId } });
          return {
            result: { documentId: issued.documentId, credential: issued.credential, issuedAt: issued.issuedAt, expiresAt: issued.expiresAt, statusList: issued.statusList },
            // The pipeline records exactly the claims signed into the document.
            releases: [{ personId: body.idNumber, fields: Object.keys(issued.claims) }],
          };
        },
      };
    },
  };
}
