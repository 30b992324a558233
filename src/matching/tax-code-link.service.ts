import { randomUUID } from 'node:crypto';
import type { Kysely } from 'kysely';
import { decodeIdNumber } from '../registry/id-number.js';
import { personRepository } from '../registry/person.repository.js';
import type { Clock } from '../shared/clock.js';
import { DomainError, isDomainError } from '../shared/domain-error.js';
import type { DB } from '../store/database.types.js';
import { parseOldTaxCode } from './tax-code.js';
import { taxCodeLinkRepository, taxCodeLinkStatuses, type TaxCodeLink, type TaxCodeLinkStatus } from './tax-code-link.repository.js';

/** One line of a linking run's result (tax-code.linking.ts's tax-links.csv). */
export interface RunLink {
  readonly oldTaxCode: string;
  /** The person's ID number, empty when the outcome names nobody. */
  readonly idNumber: string;
  readonly outcome: string;
}

export interface RunInput {
  /** The register's file name (no path). */
  readonly sourceName: string;
  readonly inputSha256: string;
  readonly startedAt: string;
  readonly links: readonly RunLink[];
  /** Counts per outcome, kept with the run. */
  readonly summary: Readonly<Record<string, number>>;
  /** Also store `to_update` outcomes (found by matching) as probable links; default no. */
  readonly includeProbable?: boolean;
}

export interface RunResult {
  readonly runId: string;
  /** Links inserted or changed (a probable one confirmed). */
  readonly written: number;
  /** Links already stored as this run would store them: a re-run writes none. */
  readonly unchanged: number;
  /** Codes of the register that are not valid old tax codes: not stored, each with its error code. */
  readonly malformed: readonly { readonly oldTaxCode: string; readonly code: string }[];
}

export interface OfficerLinkInput {
  readonly oldTaxCode: string;
  readonly idNumber: string;
  readonly status: string;
  readonly officerId: string;
  /** Replace a link of the code to another person (a correction); without it that is a conflict. */
  readonly replace?: boolean;
}

const officerIdPattern = /^[^\p{Cc}\s][^\p{Cc}]{0,63}$/u;

function conflict(codes: readonly string[]): DomainError {
  return new DomainError('conflict', 'TAX_LINK_CONFLICT', `${codes.length} tax code(s) are already linked to another person: ${codes.slice(0, 5).join(', ')}${codes.length > 5 ? ', …' : ''}`,
    'Nothing was written. Have an officer check these codes against the taxpayers\' papers, correct the register or record the right link (sachsong tax-code record CODE ID --officer OFFICER --replace), and run again', { codes: codes.slice(0, 100) });
}

/**
 * Old tax codes linked to persons: written by the linking job (all of a run or nothing, and a
 * re-run changes nothing) or by an officer, read by the exchange's look-up and the citizen's
 * claims. A link names its source (the run or the officer) and its status: confirmed (ID number,
 * name and birth date agree) or probable (found by matching, to be checked).
 */
export class TaxCodeLinkService {
  constructor(private readonly deps: { readonly db: Kysely<DB>; readonly clock: Clock }) {}

  /**
   * Stores a linking run's links in one transaction: `linked` outcomes as confirmed links, and
   * with `includeProbable` `to_update` ones as probable. A code already linked to another person
   * refuses the whole run (TAX_LINK_CONFLICT); a confirmed link is never lowered to probable.
   *
   * @example
   * await links.storeRun({ sourceName: 'register.csv', inputSha256, startedAt, links: rows, summary: { linked: 10 } });
   */
  async storeRun(input: RunInput): Promise<RunResult> {
    const runId = randomUUID();
    const at = this.deps.clock.now().toISOString();
    const malformed: { oldTaxCode: string; code: string }[] = [];
    const wanted = new Map<string, { personId: string; status: TaxCodeLinkStatus }>();
    for (const l of input.links) {
      const status: TaxCodeLinkStatus | undefined = l.outcome === 'linked' ? 'confirmed' : l.outcome === 'to_update' && input.includeProbable === true ? 'probable' : undefined;
      if (status === undefined || l.idNumber === '') continue;
      let code: string;
      try {
        code = parseOldTaxCode(l.oldTaxCode).code;
      } catch (error) {
        if (!isDomainError(error)) throw error;
        malformed.push({ oldTaxCode: l.oldTaxCode.slice(0, 40), code: error.code });
        continue;
      }
      const earlier = wanted.get(code);
      // The job gives one line a code; two lines of one code naming two persons is the job's conflict outcome, not a link.
      if (earlier !== undefined && earlier.personId !== l.idNumber) throw conflict([code]);
      wanted.set(code, { personId: l.idNumber, status });
    }
    return this.deps.db.transaction().execute(async (trx) => {
      const existing = await taxCodeLinkRepository.findMany(trx, [...wanted.keys()]);
      const conflicts: string[] = [];
      const writes: TaxCodeLink[] = [];
      let unchanged = 0;
      for (const [code, w] of wanted) {
        const before = existing.get(code);
        if (before !== undefined && before.personId !== w.personId) {
          conflicts.push(code);
          continue;
        }
        if (before !== undefined && (before.status === w.status || before.status === 'confirmed')) {
          unchanged += 1;
          continue;
        }
        writes.push({ oldTaxCode: code, personId: w.personId, status: w.status, sourceKind: 'linking_run', sourceRef: runId, establishedAt: before?.establishedAt ?? at, updatedAt: at });
      }
      if (conflicts.length > 0) throw conflict(conflicts.sort());
      await taxCodeLinkRepository.upsertMany(trx, writes);
      await taxCodeLinkRepository.insertRun(trx, {
        run_id: runId, source_name: input.sourceName.slice(0, 200), input_sha256: input.inputSha256, started_at: input.startedAt, finished_at: this.deps.clock.now().toISOString(),
        written: writes.length, unchanged, malformed: malformed.length, summary: JSON.stringify(input.summary),
      });
      return { runId, written: writes.length, unchanged, malformed };
    });
  }

  /**
   * An officer links an old tax code to a person (after checking the taxpayer's papers).
   *
   * @example
   * await links.record({ oldTaxCode: '0100047516', idNumber: '001087123456', status: 'confirmed', officerId: 'o-12' });
   */
  async record(input: OfficerLinkInput): Promise<TaxCodeLink> {
    const code = parseOldTaxCode(input.oldTaxCode).code;
    decodeIdNumber(input.idNumber, this.deps.clock.now());
    if (!(taxCodeLinkStatuses as readonly string[]).includes(input.status)) {
      throw new DomainError('invalid', 'TAX_LINK_STATUS_INVALID', `status "${input.status.slice(0, 20)}" is neither confirmed nor probable`, 'Say confirmed when the papers show the same person, probable when they only suggest it');
    }
    if (!officerIdPattern.test(input.officerId)) throw new DomainError('invalid', 'OFFICER_ID_MISSING', 'a link made by hand names the officer who made it', 'Give the officer id (1-64 characters)');
    const status = input.status as TaxCodeLinkStatus;
    const at = this.deps.clock.now().toISOString();
    return this.deps.db.transaction().execute(async (trx) => {
      if (!(await personRepository.exists(trx, input.idNumber))) {
        throw new DomainError('not_found', 'TAX_LINK_PERSON_UNKNOWN', 'the registry has no person with this ID number', 'Check the ID number on the taxpayer\'s card');
      }
      const before = await taxCodeLinkRepository.find(trx, code);
      if (before !== undefined && before.personId !== input.idNumber && input.replace !== true) throw conflict([code]);
      const link: TaxCodeLink = { oldTaxCode: code, personId: input.idNumber, status, sourceKind: 'officer', sourceRef: input.officerId, establishedAt: before?.personId === input.idNumber ? before.establishedAt : at, updatedAt: at };
      await taxCodeLinkRepository.upsertMany(trx, [link]);
      return link;
    });
  }

  /** A code's link, confirmed or probable; undefined when none. Throws on a malformed code. */
  async find(oldTaxCode: string): Promise<TaxCodeLink | undefined> {
    return taxCodeLinkRepository.find(this.deps.db, parseOldTaxCode(oldTaxCode).code);
  }

  /** A person's old tax codes, in code order. */
  async forPerson(personId: string): Promise<readonly TaxCodeLink[]> {
    return taxCodeLinkRepository.forPerson(this.deps.db, personId);
  }
}
