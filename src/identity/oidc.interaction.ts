import type { FastifyReply, FastifyRequest } from 'fastify';
import type { OidcProvider } from './oidc.provider.js';

/**
 * The contract between the one OpenID provider's interaction routes (oidc.routes.ts) and an
 * audience that runs its own interaction (the citizens' sign-in, step-up and consent: src/citizen).
 */

/** What an audience's interaction step is handed: the provider, the interaction, and its form token. */
export interface InteractionContext {
  readonly request: FastifyRequest;
  readonly reply: FastifyReply;
  readonly provider: OidcProvider['provider'];
  readonly details: Awaited<ReturnType<OidcProvider['provider']['interactionDetails']>>;
  /** The hidden field every form of this interaction carries (checked before submit is called). */
  readonly csrfToken: string;
  /** The form's fields (submit only). */
  readonly form: URLSearchParams;
}

export interface AudienceInteraction {
  /** Shows the interaction's page; may finish it (reply hijacked) when nothing is to be asked. */
  show(context: InteractionContext): Promise<void>;
  /** A form of `${oidcMountPath}/interaction/:uid/audience/:step`, its CSRF field already checked. */
  submit(step: string, context: InteractionContext): Promise<void>;
}
