import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { Type } from 'typebox';
import type { CitizenModule } from '../citizen/citizen.module.js';
import { actorOf } from '../http/api-auth.js';
import { officialRead, readerOf, type OfficialReadSink } from '../http/official-reads.js';
import { authorize } from '../identity/authorization.policy.js';
import type { PersonTiesResolver } from '../identity/person-ties.js';
import type { RegistryService } from '../registry/registry.service.js';
import { IdNumberParam } from '../registry/person.schemas.js';
import type { DocumentRow } from './residence-document.repository.js';
import { residencePdf } from './residence-document.pdf.js';
import { residenceClaimNames, type IssuedDocument, type Recipient } from './residence-document.service.js';
import type { Documents } from './documents.module.js';

const ClaimName = Type.Union(residenceClaimNames.map((n) => Type.Literal(n)));

const IssueBody = Type.Object({
  claims: Type.Optional(Type.Array(ClaimName, { maxItems: 10, description: 'the claims signed into the document; default every claim the registry holds' })),
  disclose: Type.Optional(Type.Array(ClaimName, { maxItems: 10, description: 'the claims the presentation (and the PDF\'s QR code) shows; default every signed claim' })),
  format: Type.Optional(Type.Union([Type.Literal('json'), Type.Literal('pdf')], { description: 'json (default): the credential; pdf: the printable confirmation with its QR code' })),
}, { additionalProperties: false });

const IssuedView = Type.Object({
  documentId: Type.String(),
  credential: Type.String({ description: 'the SD-JWT VC with every disclosure: keep it to present subsets later' }),
  presentation: Type.String({ description: 'the presentation of the claims chosen in `disclose`' }),
  qr: Type.String({ description: 'what the QR code holds: the verify page with the presentation after #' }),
  claims: Type.Record(Type.String(), Type.Unknown(), { description: 'the claims signed' }),
  issuedAt: Type.String(),
  expiresAt: Type.String(),
  statusList: Type.Object({ uri: Type.String(), idx: Type.Integer() }),
});

const DocumentView = Type.Object({
  documentId: Type.String(),
  issuedTo: Type.String(),
  claims: Type.Array(Type.String()),
  issuedAt: Type.String(),
  expiresAt: Type.String(),
  status: Type.String({ description: 'valid or revoked' }),
  revokedAt: Type.Union([Type.String(), Type.Null()]),
  verifications: Type.Integer({ description: 'how many times it was checked online' }),
});

const documentView = (r: DocumentRow & { readonly verifications: number }): { documentId: string; issuedTo: string; claims: string[]; issuedAt: string; expiresAt: string; status: string; revokedAt: string | null; verifications: number } => ({
  documentId: r.document_id, issuedTo: r.issued_to, claims: JSON.parse(r.claims) as string[], issuedAt: r.issued_at, expiresAt: r.expires_at, status: r.status, revokedAt: r.revoked_at, verifications: r.verifications,
});

export interface ResidenceDocumentRoutesOptions {
  readonly documents: Documents;
  readonly registry: RegistryService;
  readonly ties: PersonTiesResolver;
  readonly reads: OfficialReadSink;
}

type IssueBodyValue = { readonly claims?: readonly string[] | undefined; readonly disclose?: readonly string[] | undefined; readonly format?: 'json' | 'pdf' | undefined };

/** Issues, presents and answers as JSON or as the PDF. */
async function answer(documents: Documents, reply: FastifyReply, personId: string, body: IssueBodyValue, to: Recipient): Promise<FastifyReply> {
  const issued: IssuedDocument = await documents.residence.issue({ personId, claims: body.claims, to });
  const shown = (body.disclose ?? Object.keys(issued.claims)).filter((c) => c in issued.claims);
  const presentation = await documents.residence.present(issued.credential, shown);
  const qr = `${documents.verifyUrl}#${presentation}`;
  void reply.header('cache-control', 'no-store');
  if (body.format === 'pdf') {
    const disclosed = Object.fromEntries(Object.entries(issued.claims).filter(([k]) => shown.includes(k)));
    const pdf = await residencePdf({ documentId: issued.documentId, presentation, claims: disclosed, issuedAt: issued.issuedAt, expiresAt: issued.expiresAt, verifyUrl: documents.verifyUrl });
    return reply.type('application/pdf').header('content-disposition', `attachment; filename="xac-nhan-cu-tru-${issued.documentId.slice(0, 8)}.pdf"`).send(Buffer.from(pdf));
  }
  return reply.type('application/json; charset=utf-8').send({ documentId: issued.documentId, credential: issued.credential, presentation, qr, claims: issued.claims, issuedAt: issued.issuedAt, expiresAt: issued.expiresAt, statusList: issued.statusList });
}

const issueResponses = { 200: { description: 'the document: JSON (IssuedView), or application/pdf when format is pdf', content: { 'application/json': { schema: IssuedView }, 'application/pdf': { schema: Type.String({ format: 'binary' }) } } } };

/**
 * Officers' side, under /api: a registry clerk issues a person's confirmation of residence on
 * their request (person.write on the person's ties, as for recording an event), lists their
 * documents (person.read, recorded) and revokes one issued in error.
 */
export const residenceDocumentRoutes: FastifyPluginAsyncTypebox<ResidenceDocumentRoutesOptions> = (app, { documents, registry, ties, reads }) => {
  const tags = ['documents'];
  const personTies = async (id: string): Promise<ReturnType<PersonTiesResolver['ties']>> => {
    const { person, householdCommune } = await registry.getPersonWithHouseholdCommune(id);
    return ties.ties({ idNumber: person.idNumber, permanentCommune: person.permanentCommune, temporaryCommune: person.temporaryCommune, currentCommune: person.currentCommune, householdCommune });
  };

  app.post('/persons/:id/residence-documents', {
    schema: { tags, summary: 'Issue a confirmation of residence signed by the registry, on the person\'s request (recorded in the access log)', params: Type.Object({ id: IdNumberParam }), body: IssueBody, response: issueResponses },
  }, async (request: FastifyRequest, reply: FastifyReply) => {
    const actor = actorOf(request);
    const { id } = request.params as { readonly id: string };
    authorize(actor, 'person.write', { kind: 'person', ties: await personTies(id) });
    const read = officialRead(request, actor, 'person.read', [id], [], undefined);
    const purpose = request.headers['x-purpose'] === undefined ? undefined : read.purpose;
    return answer(documents, reply, id, request.body as IssueBodyValue, { kind: 'officer', reader: readerOf(actor), requestId: request.id, purpose, caseReference: read.caseReference });
  });

  app.get('/persons/:id/residence-documents', {
    schema: { tags, summary: 'A person\'s residence documents: dates, claims signed (names), status, online checks (recorded in the access log)', params: Type.Object({ id: IdNumberParam }), response: { 200: Type.Object({ items: Type.Array(DocumentView) }) } },
  }, async (request) => {
    const actor = actorOf(request);
    const decision = authorize(actor, 'person.read', { kind: 'person', ties: await personTies(request.params.id) });
    const items = (await documents.residence.documentsOf(request.params.id)).map(documentView);
    await reads.record(officialRead(request, actor, 'person.read', [request.params.id], ['residenceDocuments'], decision));
    return { items };
  });

  app.post('/persons/:id/residence-documents/:documentId/revoke', {
    schema: { tags, summary: 'Revoke a residence document issued in error (the status list shows it at once)', params: Type.Object({ id: IdNumberParam, documentId: Type.String({ maxLength: 64 }) }), response: { 204: Type.Null() } },
  }, async (request, reply) => {
    const actor = actorOf(request);
    authorize(actor, 'person.write', { kind: 'person', ties: await personTies(request.params.id) });
    await documents.residence.revoke(request.params.id, request.params.documentId);
    return reply.code(204).send(null);
  });
  return Promise.resolve();
};

export interface CitizenDocumentRoutesOptions {
  readonly documents: Documents;
  readonly citizen: CitizenModule;
}

const citizenCookie = 'sachsong_citizen';

function citizenSessionOf(request: FastifyRequest): string {
  const header = request.headers.cookie;
  if (header === undefined || header.length > 8192) return '';
  for (const pair of header.split(';')) {
    const eq = pair.indexOf('=');
    if (eq > 0 && pair.slice(0, eq).trim() === citizenCookie) return pair.slice(eq + 1).trim();
  }
  return '';
}

/**
 * The citizen's own documents, in the portal (its session cookie; unsafe methods need the
 * session's X-CSRF-Token): ask for a confirmation of residence (JSON or PDF, showing only the
 * claims chosen) and list mine with their status and how often each was checked.
 */
export const citizenDocumentRoutes: FastifyPluginAsyncTypebox<CitizenDocumentRoutesOptions> = (app, { documents, citizen }) => {
  const tags = ['citizen portal'];
  const signedIn = async (request: FastifyRequest): Promise<Awaited<ReturnType<CitizenModule['accounts']['authenticate']>>> => {
    const csrf = request.headers['x-csrf-token'];
    return citizen.accounts.authenticate(citizenSessionOf(request), { unsafe: request.method !== 'GET', csrfToken: typeof csrf === 'string' ? csrf : undefined });
  };

  app.post('/citizen/portal/documents/residence', {
    schema: { tags, summary: 'My confirmation of residence, signed by the registry; disclose only what I choose (recorded in my data-use log)', security: [], body: IssueBody, response: issueResponses },
  }, async (request: FastifyRequest, reply: FastifyReply) => {
    const { account } = await signedIn(request);
    return answer(documents, reply, account.personId, request.body as IssueBodyValue, { kind: 'citizen', accountId: account.accountId, requestId: request.id });
  });

  app.get('/citizen/portal/documents', {
    schema: { tags, summary: 'My residence documents: status (valid, revoked) and how often each was checked online', security: [], response: { 200: Type.Object({ items: Type.Array(DocumentView) }) } },
  }, async (request) => {
    const { account } = await signedIn(request);
    return { items: (await documents.residence.documentsOf(account.personId)).map(documentView) };
  });
  return Promise.resolve();
};
