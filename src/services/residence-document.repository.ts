import type { Insertable, Selectable } from 'kysely';
import type { Executor } from '../registry/person.repository.js';
import type { DocumentSigningKeysTable, DocumentVerificationsTable, ResidenceDocumentsTable } from './residence-document.tables.js';

export type DocumentRow = Selectable<ResidenceDocumentsTable>;
export type SigningKeyRow = Selectable<DocumentSigningKeysTable>;

/** The registry's document-signing keys, shared by every API node through the store. */
export const documentKeyRepository = {
  async current(db: Executor): Promise<SigningKeyRow | undefined> {
    return db.selectFrom('document_signing_keys').selectAll().where('retired_at', 'is', null).orderBy('created_at', 'desc').orderBy('key_id').executeTakeFirst();
  },

  async all(db: Executor): Promise<readonly SigningKeyRow[]> {
    return db.selectFrom('document_signing_keys').selectAll().orderBy('created_at').execute();
  },

  /** Inserts a key unless one with this id exists (two nodes starting at once make the same first id). */
  async insertIfAbsent(db: Executor, row: Insertable<DocumentSigningKeysTable>): Promise<void> {
    await db.insertInto('document_signing_keys').values(row).onConflict((oc) => oc.column('key_id').doNothing()).execute();
  },
};

/** Issued residence documents, their holders' lock rows and the online verifications. */
export const residenceDocumentRepository = {
  /**
   * Takes the holder's lock row for the rest of the transaction (an upsert: on PostgreSQL a
   * second writer waits, even for a row another transaction is inserting). Issuance takes it
   * before reading the person, a revoking life event before revoking: whichever is second sees
   * what the first committed.
   */
  async lockHolder(db: Executor, personId: string, at: string): Promise<void> {
    await db.insertInto('document_holders').values({ person_id: personId, touched_at: at })
      .onConflict((oc) => oc.column('person_id').doUpdateSet({ touched_at: at })).execute();
  },

  /** Inserts a document and returns its seq (its place in the status lists). */
  async insert(db: Executor, row: Omit<Insertable<ResidenceDocumentsTable>, 'seq'>): Promise<number> {
    const inserted = await db.insertInto('residence_documents').values(row).returning('seq').executeTakeFirstOrThrow();
    return inserted.seq;
  },

  async byDocumentId(db: Executor, documentId: string): Promise<DocumentRow | undefined> {
    return db.selectFrom('residence_documents').selectAll().where('document_id', '=', documentId).executeTakeFirst();
  },

  async ofPerson(db: Executor, personId: string, limit = 50): Promise<readonly DocumentRow[]> {
    return db.selectFrom('residence_documents').selectAll().where('person_id', '=', personId).orderBy('seq', 'desc').limit(limit).execute();
  },

  /** Revokes every valid document of a person; the number revoked. */
  async revokeValidOf(db: Executor, personId: string, at: string, reason: string): Promise<number> {
    const result = await db.updateTable('residence_documents').set({ status: 'revoked', revoked_at: at, revoked_reason: reason })
      .where('person_id', '=', personId).where('status', '=', 'valid').executeTakeFirst();
    return Number(result.numUpdatedRows);
  },

  /** Revokes one document; false when it was not valid (unknown or already revoked). */
  async revoke(db: Executor, documentId: string, at: string, reason: string): Promise<boolean> {
    const result = await db.updateTable('residence_documents').set({ status: 'revoked', revoked_at: at, revoked_reason: reason })
      .where('document_id', '=', documentId).where('status', '=', 'valid').executeTakeFirst();
    return result.numUpdatedRows === 1n;
  },

  /** The seqs revoked in [from, to): one status list's set bits. */
  async revokedIn(db: Executor, from: number, to: number): Promise<readonly number[]> {
    const rows = await db.selectFrom('residence_documents').select('seq').where('status', '=', 'revoked').where('seq', '>=', from).where('seq', '<', to).execute();
    return rows.map((r) => r.seq);
  },

  async maxSeq(db: Executor): Promise<number> {
    const row = await db.selectFrom('residence_documents').select((eb) => eb.fn.max('seq').as('seq')).executeTakeFirst();
    // Null on an empty table (the type says number).
    const seq = row?.seq as number | null | undefined;
    return seq ?? 0;
  },

  async insertVerification(db: Executor, row: Insertable<DocumentVerificationsTable>): Promise<void> {
    await db.insertInto('document_verifications').values(row).execute();
  },

  /** How many online verifications each document had. */
  async verificationCounts(db: Executor, documentIds: readonly string[]): Promise<ReadonlyMap<string, number>> {
    if (documentIds.length === 0) return new Map();
    const rows = await db.selectFrom('document_verifications').select(['document_id', (eb) => eb.fn.countAll<number>().as('n')])
      .where('document_id', 'in', [...documentIds]).groupBy('document_id').execute();
    return new Map(rows.map((r) => [r.document_id ?? '', r.n]));
  },
};
