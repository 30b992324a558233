import type { Static } from 'typebox';
import type {
  HouseholdView,
  LifeEventView,
  PersonSummary as ServerPersonSummary,
  PersonView,
} from '../../src/registry/person.schemas.js';
import type { Household, LifeEvent, Person, PersonSummary } from './api.js';

/** Compiles only when T is true. */
type Holds<T extends true> = T;

/**
 * What the server's schemas declare fits the console's types: drift between them fails
 * `npm run typecheck` (this file is checked there, and never bundled: nothing imports it).
 */
export type ServerAnswersFitTheConsole = [
  Holds<PersonView extends Person ? true : false>,
  Holds<ServerPersonSummary extends PersonSummary ? true : false>,
  Holds<Static<typeof LifeEventView> extends LifeEvent ? true : false>,
  Holds<Static<typeof HouseholdView> extends Household ? true : false>,
];
