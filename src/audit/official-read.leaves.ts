import { leafTemplate, type LeafTemplate, type TemplatedLeaves } from './access-journal.format.js';
import { isoInstant } from '../shared/clock.js';
import { prepareAccessLeaf } from './access-record.js';
import type { AccessRecordInput } from './access-log.types.js';
import type { OfficialRead } from './official-read.recorder.js';

/**
 * The canonical leaves of an official read, from a template per kind of read. An officer's reads
 * differ in the time, the person and the request id; everything else in the leaf (reader, role,
 * unit, action, fields, purpose, case, legal basis) repeats from one read to the next. The first
 * read of each kind is prepared by prepareAccessLeaf (all checks, the canonical JSON) with
 * placeholders, and its leaf split around them; later reads of that kind fill the three gaps.
 * The result is exactly prepareAccessLeaf's: a test holds both equal over many reads.
 *
 * @example
 * const leaves = new OfficialReadLeaves(officialReadRecords);
 * const templated = leaves.of(read, new Date()); // undefined: use officialReadRecords + prepareAccessLeaf
 * await accessLog.appendLeaves(templated);        // templatedRecords(templated) gives the leaves as text
 */
export class OfficialReadLeaves {
  /** `recordsOf`: officialReadRecords (passed in: the recorder's module imports this one). */
  constructor(private readonly recordsOf: (read: OfficialRead, at: Date) => AccessRecordInput[]) {}

  /**
   * By the read's field list (routes pass one constant list per action), then by the reader's id;
   * each reader's few kinds of read are told apart by comparing their parts, with no key built
   * and hashed a read.
   */
  private templates = new WeakMap<readonly string[], Map<string, TemplateEntry[]>>();
  private count = 0;

  /**
   * The read's records from its template (templatedRecords gives their leaves as text), or
   * undefined when it is not of a kind the templates serve (a break-glass read, an unusual request id).
   */
  of(read: OfficialRead, at: Date): TemplatedLeaves | undefined {
    if (read.breakGlassReason !== undefined || !plainRequestId.test(read.requestId)) return undefined;
    const template = this.template(read);
    if (template === undefined) return undefined;
    const time = isoInstant(at);
    if (!utcMillis.test(time)) return undefined;
    for (const personId of read.personIds) if (!idNumber.test(personId)) return undefined;
    const personIds = read.personIds.length > 1 ? [...new Set(read.personIds)] : read.personIds;
    return { template, at: time, requestId: read.requestId, personIds };
  }

  private template(read: OfficialRead): LeafTemplate | undefined {
    let byReader = this.templates.get(read.fields);
    if (byReader === undefined) {
      byReader = new Map();
      this.templates.set(read.fields, byReader);
    }
    // A frozen list (the routes') cannot change under its template; any other list's content is part of the kind.
    const fields = Object.isFrozen(read.fields) ? '' : read.fields.join('\u0001');
    const { reader } = read;
    let entries = byReader.get(reader.id);
    if (entries !== undefined) {
      for (const e of entries) {
        if (e.kind === reader.kind && e.role === reader.role && e.unitLevel === reader.unit.level && e.unitCode === reader.unit.code
          && e.action === read.action && e.purpose === read.purpose && e.caseReference === read.caseReference && e.fields === fields) {
          return e.template ?? undefined;
        }
      }
    }
    // Officers number in the thousands per node; a bound keeps a flood of purposes from growing it.
    if (this.count >= maxTemplates) {
      this.templates = new WeakMap();
      this.count = 0;
      return this.template(read);
    }
    if (entries === undefined) {
      entries = [];
      byReader.set(reader.id, entries);
    }
    // A reader sending a new purpose with every read keeps only its latest kinds: the scan stays short.
    if (entries.length >= maxKindsPerReader) entries.shift();
    const made = split(read, this.recordsOf);
    entries.push({ kind: reader.kind, role: reader.role, unitLevel: reader.unit.level, unitCode: reader.unit.code, action: read.action, purpose: read.purpose, caseReference: read.caseReference, fields, template: made ?? null });
    this.count++;
    return made;
  }
}

/** One kind of read of one reader, and its template (null: not one the templates serve). */
interface TemplateEntry {
  readonly kind: OfficialRead['reader']['kind'];
  readonly role: string;
  readonly unitLevel: OfficialRead['reader']['unit']['level'];
  readonly unitCode: string | null;
  readonly action: OfficialRead['action'];
  readonly purpose: string;
  readonly caseReference: string | undefined;
  readonly fields: string;
  readonly template: LeafTemplate | null;
}

const maxKindsPerReader = 16;
const maxTemplates = 10_000;
const idNumber = /^\d{12}$/;
const utcMillis = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/;
/** Request ids the template takes as they are: printable ASCII JSON needs no escape for (the server's UUIDs). */
const plainRequestId = /^[\x20\x21\x23-\x5b\x5d-\x7e]{1,200}$/;
const placeholderAt = '2000-01-01T00:00:00.000Z';
const placeholderPerson = '000000000000';
const placeholderRequest = 'official-read-leaf-template';

/** The leaf of the read with placeholders, cut around them; undefined if the members are not where the canonical order puts them. */
function split(read: OfficialRead, recordsOf: (read: OfficialRead, at: Date) => AccessRecordInput[]): LeafTemplate | undefined {
  const [record] = recordsOf({ ...read, personIds: [placeholderPerson], requestId: placeholderRequest, breakGlassReason: undefined }, new Date(placeholderAt));
  if (record === undefined) return undefined;
  // Throws the record's own validation error (a bad purpose, say): the caller's general path reports it.
  let leaf: string;
  try {
    leaf = prepareAccessLeaf(record).leaf;
  } catch {
    return undefined;
  }
  const atPart = `{"at":"${placeholderAt}"`;
  const personPart = `,"personId":"${placeholderPerson}"`;
  const requestPart = `,"requestId":"${placeholderRequest}"`;
  // Every other member is a quoted JSON string, so these sequences occur once, as the members themselves.
  const person = leaf.indexOf(personPart);
  const request = leaf.indexOf(requestPart);
  if (!leaf.startsWith(atPart) || person < 0 || request < person || leaf.indexOf(personPart, person + 1) >= 0 || leaf.indexOf(requestPart, request + 1) >= 0) return undefined;
  // Each gap's closing quote starts the part after it.
  return leafTemplate([
    '{"at":"',
    `${leaf.slice(atPart.length - 1, person)},"personId":"`,
    `${leaf.slice(person + personPart.length - 1, request)},"requestId":"`,
    leaf.slice(request + requestPart.length - 1),
  ]);
}
