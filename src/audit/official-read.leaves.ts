import type { JournaledRecord } from './access-journal.format.js';
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
 * const records = leaves.of(read, new Date()); // undefined: use officialReadRecords + prepareAccessLeaf
 */
export class OfficialReadLeaves {
  /** `recordsOf`: officialReadRecords (passed in: the recorder's module imports this one). */
  constructor(private readonly recordsOf: (read: OfficialRead, at: Date) => AccessRecordInput[]) {}

  /** By the read's field list (routes pass one constant list per action), then by the rest of its kind. */
  private templates = new WeakMap<readonly string[], Map<string, readonly [string, string, string, string] | null>>();
  private count = 0;

  /** The read's journal records, or undefined when it is not of a kind the templates serve (a break-glass read, an unusual request id). */
  of(read: OfficialRead, at: Date): JournaledRecord[] | undefined {
    if (read.breakGlassReason !== undefined || !plainRequestId.test(read.requestId)) return undefined;
    const template = this.template(read);
    if (template === undefined) return undefined;
    const time = at.toISOString();
    if (!utcMillis.test(time)) return undefined;
    const [beforeAt, beforePerson, beforeRequest, rest] = template;
    const head = beforeAt + time + beforePerson;
    const tail = beforeRequest + read.requestId + rest;
    const records: JournaledRecord[] = [];
    const seen = read.personIds.length > 1 ? new Set<string>() : undefined;
    for (const personId of read.personIds) {
      if (!idNumber.test(personId)) return undefined;
      if (seen !== undefined) {
        if (seen.has(personId)) continue;
        seen.add(personId);
      }
      records.push({ person_id: personId, deferred_until: null, leaf: head + personId + tail });
    }
    return records;
  }

  private template(read: OfficialRead): readonly [string, string, string, string] | undefined {
    let byKind = this.templates.get(read.fields);
    if (byKind === undefined) {
      byKind = new Map();
      this.templates.set(read.fields, byKind);
    }
    // A frozen list (the routes') cannot change under its template; any other list's content is part of the key.
    const fields = Object.isFrozen(read.fields) ? '' : read.fields.join('\u0001');
    const key = `${read.reader.kind}\u0000${read.reader.id}\u0000${read.reader.role}\u0000${read.reader.unit.code ?? read.reader.unit.level}\u0000${read.action}\u0000${read.purpose}\u0000${read.caseReference ?? '\u0002'}\u0000${fields}`;
    const known = byKind.get(key);
    if (known !== undefined) return known ?? undefined;
    // Officers number in the thousands per node; a bound keeps a flood of purposes from growing it.
    if (this.count >= maxTemplates) {
      this.templates = new WeakMap();
      this.count = 0;
      return this.template(read);
    }
    const made = split(read, this.recordsOf);
    byKind.set(key, made ?? null);
    this.count++;
    return made;
  }
}

const maxTemplates = 10_000;
const idNumber = /^\d{12}$/;
const utcMillis = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/;
/** Request ids the template takes as they are: printable ASCII JSON needs no escape for (the server's UUIDs). */
const plainRequestId = /^[\x20\x21\x23-\x5b\x5d-\x7e]{1,200}$/;
const placeholderAt = '2000-01-01T00:00:00.000Z';
const placeholderPerson = '000000000000';
const placeholderRequest = 'official-read-leaf-template';

/** The leaf of the read with placeholders, cut around them; undefined if the members are not where the canonical order puts them. */
function split(read: OfficialRead, recordsOf: (read: OfficialRead, at: Date) => AccessRecordInput[]): readonly [string, string, string, string] | undefined {
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
  return [
    '{"at":"',
    `${leaf.slice(atPart.length - 1, person)},"personId":"`,
    `${leaf.slice(person + personPart.length - 1, request)},"requestId":"`,
    leaf.slice(request + requestPart.length - 1),
  ];
}
