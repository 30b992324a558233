import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from 'typebox';
import type { RegistryService } from './registry.service.js';
import type { LifeEventType } from './life-event.types.js';
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
}

/** Registry endpoints for operators: persons, their history and households. */
export const personRoutes: FastifyPluginAsyncTypebox<PersonRoutesOptions> = (app, { registry, today }) => {
  const tags = ['registry'];

  app.get('/persons/:id', {
    schema: { tags, summary: 'A person by ID number', params: Type.Object({ id: IdNumberParam }), response: { 200: PersonView } },
  }, async (request) => toPersonView(await registry.getPerson(request.params.id), today()));

  app.get('/persons', {
    schema: { tags, summary: 'Search persons by name (marks optional) and date of birth', querystring: PersonSearchQuery, response: { 200: Type.Object({ items: Type.Array(PersonSummary) }) } },
  }, async (request) => {
    const found = await registry.searchPersons({ name: request.query.name, birthDate: request.query.birth, limit: request.query.limit });
    const on = today();
    return { items: found.map((p) => toPersonSummary(p, on)) };
  });

  app.get('/persons/:id/events', {
    schema: { tags, summary: "A person's life events, in recorded order", params: Type.Object({ id: IdNumberParam }), response: { 200: Type.Object({ items: Type.Array(LifeEventView) }) } },
  }, async (request) => ({ items: [...(await registry.personEvents(request.params.id))] }));

  app.get('/persons/:id/history', {
    schema: {
      tags,
      summary: 'What the registry said about a person at the end of a given day',
      params: Type.Object({ id: IdNumberParam }),
      querystring: Type.Object({ at: Type.String({ description: 'YYYY-MM-DD' }) }),
      response: { 200: PersonView },
    },
  }, async (request) => toPersonView(await registry.personAsOf(request.params.id, request.query.at), today()));

  app.post('/persons/:id/events', {
    schema: { tags, summary: 'Record a life event on a person', params: Type.Object({ id: IdNumberParam }), body: LifeEventBody, response: { 201: Type.Object({ person: PersonView, event: LifeEventView }) } },
  }, async (request, reply) => {
    const { person, event } = await registry.recordEvent({ ...request.body, type: request.body.type as LifeEventType, personId: request.params.id });
    return reply.status(201).send({ person: toPersonView(person, today()), event });
  });

  app.post('/persons', {
    schema: { tags, summary: 'Register a birth, or a person from an earlier register', body: RegistrationBody, response: { 201: PersonView } },
  }, async (request, reply) => {
    const { idNumber, ...rest } = request.body;
    const person = await registry.register({ ...rest, ...(idNumber === undefined ? {} : { idNumber }) });
    return reply.status(201).send(toPersonView(person, today()));
  });

  app.get('/households/:id', {
    schema: { tags, summary: 'A household and its members', params: Type.Object({ id: Type.String({ maxLength: 64 }) }), response: { 200: HouseholdView } },
  }, async (request) => {
    const { household, members } = await registry.household(request.params.id);
    const on = today();
    const communeName = household.communeCode === '' ? null : describeCommune(household.communeCode, on).name;
    return {
      householdId: household.householdId,
      communeCode: household.communeCode,
      communeName,
      address: household.address,
      headId: household.headId,
      members: members.map((m) => ({ idNumber: m.idNumber, fullName: m.fullName, birthDate: m.birthDate, sex: m.sex, relationshipToHead: m.relationshipToHead, status: m.status })),
    };
  });
  return Promise.resolve();
};
