import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from 'typebox';
import { actorOf } from '../http/api-auth.js';
import { breakGlassReasonOf, officialRead, type OfficialReadSink } from '../http/official-reads.js';
import { authorize, personInUnit, type Actor, type Decision, type PersonTies, type Unit } from '../identity/authorization.policy.js';
import type { PersonTiesResolver } from '../identity/person-ties.js';
import type { RegistryService } from './registry.service.js';
import type { LifeEventType } from './life-event.types.js';
import type { PersonRecord } from './person.types.js';
import {
  HouseholdView,
  IdNumberParam,
  LifeEventBody,
  LifeEventView,
  PersonSearchQuery,
  PersonSummary,
  PersonView,
  RegistrationBody,
} from './person.schemas.js';
import { describeCommune, toPersonSummary, toPersonView } from './person.view.js';

export interface PersonRoutesOptions {
  readonly registry: RegistryService;
  readonly today: () => string;
  /** A person's ties to 2025 units: the jurisdiction target. */
  readonly ties: PersonTiesResolver;
  /** Records every official's read before the answer leaves. */
  readonly reads: OfficialReadSink;
}

// Frozen: the access log's leaf templates key on these lists (audit/official-read.leaves.ts).
const personViewFields = Object.freeze(Object.keys(PersonView.properties));
const summaryFields = Object.freeze(Object.keys(PersonSummary.properties));
const eventFields = Object.freeze(['lifeEvents']);
const householdFields = Object.freeze(['householdId', 'communeCode', 'address', 'headId', 'members.idNumber', 'members.fullName', 'members.birthDate', 'members.sex', 'members.relationshipToHead', 'members.status']);
const noPlaces: PersonTies = Object.freeze({ communes: Object.freeze([]) });
const communeKeys = ['permanentCommune', 'temporaryCommune', 'currentCommune', 'birthCommune'] as const;

function mergeTies(all: readonly PersonTies[]): PersonTies {
  const seen = new Set<string>();
  const communes: { commune: string; province: string }[] = [];
  for (const t of all) {
    for (const c of t.communes) {
      if (!seen.has(c.commune)) {
        seen.add(c.commune);
        communes.push(c);
      }
    }
  }
  return { communes };
}

/** The commune codes a registration's facts or an event's data name (where it is recorded). */
function communesIn(data: Readonly<Record<string, unknown>>): (string | null)[] {
  return communeKeys.map((k) => (typeof data[k] === 'string' ? data[k] : null));
}

/**
 * Registry endpoints: persons, their history and households. Every read of a person is
 * authorised on the person's ties (jurisdiction, break-glass with X-Break-Glass-Reason) and
 * recorded in the access log before the answer leaves; a search lists only persons of the
 * reader's unit and records each listed person.
 */
export const personRoutes: FastifyPluginAsyncTypebox<PersonRoutesOptions> = (app, { registry, today, ties, reads }) => {
  const tags = ['registry'];

  const tiesWith = (person: PersonRecord, householdCommune: string | null): PersonTies =>
    ties.ties({
      idNumber: person.idNumber,
      permanentCommune: person.permanentCommune,
      temporaryCommune: person.temporaryCommune,
      currentCommune: person.currentCommune,
      householdCommune,
    });
  const tiesOf = async (person: PersonRecord): Promise<PersonTies> => tiesWith(person, await registry.householdCommune(person.householdId));
  /**
   * The ties that decide a read by a reader of `unit`: the person's own communes first, and the
   * household's commune read only when those do not place the person in the unit. A tie more
   * never takes one away, so the decision is the one the full ties give, without the household's
   * look-up for most reads (a national reader's, a commune officer's of their own residents).
   */
  const tiesFor = async (unit: Unit, person: PersonRecord): Promise<PersonTies> => {
    // The nation holds every person: no place of theirs can change a national reader's decision.
    if (unit.level === 'nation') return noPlaces;
    const own = tiesWith(person, null);
    return personInUnit(unit, own) ? own : tiesOf(person);
  };

  const readHeaders = Type.Object({
    'x-purpose': Type.Optional(Type.String({ description: 'why the data is read (shown to the citizen); a default per action when absent' })),
    'x-case-reference': Type.Optional(Type.String({ description: 'the case file the read belongs to' })),
    'x-break-glass-reason': Type.Optional(Type.String({ description: 'a written reason (15 characters or more) to read a person outside your unit; commune and province officers only; shown to auditors' })),
  });

  const authorizePerson = async (actor: Actor, permission: 'person.read' | 'household.read', person: PersonRecord, breakGlassReason: string | undefined): Promise<Decision> =>
    authorize(actor, permission, { kind: 'person', ties: await tiesFor(actor.unit, person) }, { breakGlassReason });

  app.get('/persons/:id', {
    schema: { tags, summary: 'A person by ID number (recorded in the access log)', params: Type.Object({ id: IdNumberParam }), headers: readHeaders, response: { 200: PersonView } },
  }, async (request) => {
    const actor = actorOf(request);
    const person = await registry.getPerson(request.params.id);
    const decision = authorize(actor, 'person.read', { kind: 'person', ties: await tiesFor(actor.unit, person) }, { breakGlassReason: breakGlassReasonOf(request) });
    const view = toPersonView(person, today());
    await reads.record(officialRead(request, actor, 'person.read', [person.idNumber], personViewFields, decision));
    return view;
  });

  app.get('/persons', {
    schema: {
      tags,
      summary: "Search persons by name (marks optional) and date of birth, within the reader's unit (each listed person is recorded)",
      querystring: PersonSearchQuery,
      headers: readHeaders,
      response: {
        200: Type.Object({
          items: Type.Array(PersonSummary),
          complete: Type.Boolean({ description: "False when the name is so common that not every national match could be looked at for the reader's unit: narrow the search (birth date, more of the name)" }),
        }),
      },
    },
  }, async (request) => {
    const actor = actorOf(request);
    const query = { name: request.query.name, birthDate: request.query.birth, limit: request.query.limit };
    // Below the nation the unit filter walks the national matches until the unit's `limit` are found.
    const { persons, complete } = actor.unit.level === 'nation'
      ? { persons: await registry.searchPersons(query), complete: true }
      : await registry.searchPersonsKept(query, async (p) => personInUnit(actor.unit, await tiesFor(actor.unit, p)));
    const on = today();
    const items = persons.map((p) => toPersonSummary(p, on));
    await reads.record(officialRead(request, actor, 'person.search', persons.map((p) => p.idNumber), summaryFields, undefined));
    return { items, complete };
  });

  app.get('/persons/:id/events', {
    schema: { tags, summary: "A person's life events, in recorded order (recorded in the access log)", params: Type.Object({ id: IdNumberParam }), headers: readHeaders, response: { 200: Type.Object({ items: Type.Array(LifeEventView) }) } },
  }, async (request) => {
    const actor = actorOf(request);
    const person = await registry.getPerson(request.params.id);
    const decision = await authorizePerson(actor, 'person.read', person, breakGlassReasonOf(request));
    const items = [...(await registry.personEvents(request.params.id))];
    await reads.record(officialRead(request, actor, 'person.events', [person.idNumber], eventFields, decision));
    return { items };
  });

  app.get('/persons/:id/history', {
    schema: {
      tags,
      summary: 'What the registry said about a person at the end of a given day (recorded in the access log)',
      params: Type.Object({ id: IdNumberParam }),
      querystring: Type.Object({ at: Type.String({ description: 'YYYY-MM-DD' }) }),
      headers: readHeaders,
      response: { 200: PersonView },
    },
  }, async (request) => {
    const actor = actorOf(request);
    // Jurisdiction is decided on today's ties: who may open the file now may open its past.
    const person = await registry.getPerson(request.params.id);
    const decision = await authorizePerson(actor, 'person.read', person, breakGlassReasonOf(request));
    const view = toPersonView(await registry.personAsOf(request.params.id, request.query.at), today());
    await reads.record(officialRead(request, actor, 'person.history', [person.idNumber], personViewFields, decision));
    return view;
  });

  app.post('/persons/:id/events', {
    schema: { tags, summary: 'Record a life event on a person (in the recorder\'s commune: the person\'s or the one the event names)', params: Type.Object({ id: IdNumberParam }), body: LifeEventBody, response: { 201: Type.Object({ person: PersonView, event: LifeEventView }) } },
  }, async (request, reply) => {
    const actor = actorOf(request);
    const current = await registry.getPerson(request.params.id);
    const [permanentCommune = null, temporaryCommune = null, currentCommune = null] = communesIn(request.body.data);
    const eventTies = ties.ties({ idNumber: current.idNumber, permanentCommune, temporaryCommune, currentCommune, householdCommune: null });
    authorize(actor, 'person.write', { kind: 'person', ties: mergeTies([await tiesOf(current), eventTies]) });
    // The recording officer is the signed-in one, whatever the body says.
    const { person, event } = await registry.recordEvent({ ...request.body, officerId: actor.id, type: request.body.type as LifeEventType, personId: request.params.id });
    return reply.status(201).send({ person: toPersonView(person, today()), event });
  });

  app.post('/persons', {
    schema: { tags, summary: 'Register a birth, or a person from an earlier register (in the recorder\'s commune)', body: RegistrationBody, response: { 201: PersonView } },
  }, async (request, reply) => {
    const actor = actorOf(request);
    const [permanentCommune = null, temporaryCommune = null, currentCommune = null, birthCommune = null] = communesIn(request.body.facts);
    const target = ties.ties({ idNumber: '', permanentCommune, temporaryCommune, currentCommune, householdCommune: birthCommune });
    authorize(actor, 'person.write', { kind: 'person', ties: { communes: target.communes } });
    const { idNumber, ...rest } = request.body;
    const person = await registry.register({ ...rest, officerId: actor.id, ...(idNumber === undefined ? {} : { idNumber }) });
    return reply.status(201).send(toPersonView(person, today()));
  });

  app.get('/households/:id', {
    schema: { tags, summary: 'A household and its members (each member recorded in the access log)', params: Type.Object({ id: Type.String({ maxLength: 64 }) }), headers: readHeaders, response: { 200: HouseholdView } },
  }, async (request) => {
    const actor = actorOf(request);
    const { household, members } = await registry.household(request.params.id);
    const householdTies = ties.ties({ idNumber: '', permanentCommune: null, temporaryCommune: null, currentCommune: null, householdCommune: household.communeCode === '' ? null : household.communeCode });
    const memberTies = await Promise.all(members.map((m) => tiesOf(m)));
    const decision = authorize(actor, 'household.read', { kind: 'person', ties: mergeTies([householdTies, ...memberTies]) }, { breakGlassReason: breakGlassReasonOf(request) });
    const on = today();
    const communeName = household.communeCode === '' ? null : describeCommune(household.communeCode, on).name;
    const view = {
      householdId: household.householdId,
      communeCode: household.communeCode,
      communeName,
      address: household.address,
      headId: household.headId,
      members: members.map((m) => ({ idNumber: m.idNumber, fullName: m.fullName, birthDate: m.birthDate, sex: m.sex, relationshipToHead: m.relationshipToHead, status: m.status })),
    };
    await reads.record(officialRead(request, actor, 'household.read', members.map((m) => m.idNumber), householdFields, decision));
    return view;
  });
  return Promise.resolve();
};
