import type { ReactNode } from 'react';
import type { Lang, MessageKey } from '../i18n.js';
import { dictionaries } from '../i18n.js';
import { signInPath } from '../session.js';

/**
 * The way in: a link to the server's sign-in, which hands the officer to the identity provider
 * (user name, password and authenticator code) and back. `notice` explains why they are here again.
 */
export function SignInPage({ lang, notice }: { readonly lang: Lang; readonly notice: MessageKey | null }): ReactNode {
  const words = dictionaries[lang];
  return (
    <div className="page narrow">
      <section className="panel">
        <h1>{words.signInTitle}</h1>
        {notice !== null && (
          <p className="alert alert-error" role="alert" data-testid="sign-in-notice">
            {words[notice]}
          </p>
        )}
        <p className="muted">{words.signInHelp}</p>
        <p>
          <a className="button-link primary" href={signInPath} data-testid="sign-in-start">
            {words.signIn}
          </a>
        </p>
      </section>
    </div>
  );
}
