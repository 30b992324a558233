import { useState, type SubmitEvent, type ReactNode } from 'react';
import type { Lang, MessageKey } from '../i18n.js';
import { dictionaries } from '../i18n.js';

/** Sign-in by pasting the operator token; `notice` explains why the officer is here again. */
export function SignInPage({
  lang,
  notice,
  onSignIn,
}: {
  readonly lang: Lang;
  readonly notice: MessageKey | null;
  readonly onSignIn: (token: string) => void;
}): ReactNode {
  const words = dictionaries[lang];
  const [token, setToken] = useState('');
  const [error, setError] = useState<string | null>(null);

  function submit(event: SubmitEvent<HTMLFormElement>): void {
    event.preventDefault();
    const trimmed = token.trim();
    if (trimmed === '') {
      setError(words.tokenRequired);
      return;
    }
    onSignIn(trimmed);
  }

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
        <form onSubmit={submit} noValidate className="stack">
          <label>
            <span>{words.tokenLabel}</span>
            <input
              type="password"
              data-testid="token-input"
              value={token}
              autoComplete="off"
              autoFocus
              onChange={(e) => {
                setToken(e.target.value);
              }}
            />
          </label>
          {error !== null && (
            <p className="field-error" role="alert">
              {error}
            </p>
          )}
          <div>
            <button type="submit" className="primary" data-testid="sign-in-submit">
              {words.signIn}
            </button>
          </div>
        </form>
      </section>
    </div>
  );
}
