/**
 * Signing in. The local runtime signs development tokens for any organisation (POST /console/session);
 * a deployed stack signs in with its Cognito user pool, or a token from the organisation's own issuer
 * is pasted here.
 */
import { useState } from 'preact/hooks';
import {
  type ConsoleConfig,
  developmentSignIn,
  type Session,
  sessionOf,
  startCognitoSignIn,
} from '../api.ts';
import { defineMessages, type Locale, useMessages } from '../i18n.ts';
import { LanguagePicker } from '../main.tsx';

const messages = defineMessages({
  en: {
    title: 'Sign in to samskapa operations',
    development: 'The local runtime: sign in as the operations team of an organisation.',
    organisation: 'Organisation id',
    signIn: 'Sign in',
    token: 'Access token (JWT)',
    tokenHelp: 'A token from your organisation’s sign-in, with the ops or coordinator role.',
    cognito: 'Sign in with your account',
    badToken: 'That is not a token with an organisation and a role.',
    failed: 'Sign-in failed: {error}',
  },
  sv: {
    title: 'Logga in i samskapa drift',
    development: 'Den lokala miljön: logga in som driftteamet för en organisation.',
    organisation: 'Organisationens id',
    signIn: 'Logga in',
    token: 'Åtkomsttoken (JWT)',
    tokenHelp: 'En token från organisationens inloggning, med rollen ops eller coordinator.',
    cognito: 'Logga in med ditt konto',
    badToken: 'Det är ingen token med organisation och roll.',
    failed: 'Inloggningen misslyckades: {error}',
  },
  fi: {
    title: 'Kirjaudu samskapan ylläpitoon',
    development: 'Paikallinen ympäristö: kirjaudu organisaation ylläpitotiimin jäsenenä.',
    organisation: 'Organisaation tunnus',
    signIn: 'Kirjaudu',
    token: 'Käyttöoikeustunniste (JWT)',
    tokenHelp: 'Organisaatiosi kirjautumisen antama tunniste, jossa on rooli ops tai coordinator.',
    cognito: 'Kirjaudu tililläsi',
    badToken: 'Tunnisteessa ei ole organisaatiota ja roolia.',
    failed: 'Kirjautuminen epäonnistui: {error}',
  },
});

export function SignIn(props: {
  config: ConsoleConfig;
  locale: Locale;
  onLocale(locale: Locale): void;
  onSession(session: Session): void;
}) {
  const t = useMessages(messages);
  const [orgId, setOrgId] = useState('org-demo');
  const [token, setToken] = useState('');
  const [error, setError] = useState<string>();
  const [busy, setBusy] = useState(false);
  const { auth } = props.config;

  const signInLocally = async (event: Event) => {
    event.preventDefault();
    setBusy(true);
    setError(undefined);
    try {
      props.onSession(await developmentSignIn(props.config, orgId.trim()));
    } catch (e) {
      setError(t('failed', { error: e instanceof Error ? e.message : String(e) }));
    } finally {
      setBusy(false);
    }
  };
  const signInWithToken = (event: Event) => {
    event.preventDefault();
    const session = sessionOf(token.trim());
    if (session) props.onSession(session);
    else setError(t('badToken'));
  };

  return (
    <main class="sign-in card" id="main">
      <h1>{t('title')}</h1>
      <LanguagePicker locale={props.locale} onLocale={props.onLocale} />
      {auth.development ? (
        <form onSubmit={signInLocally}>
          <p class="muted">{t('development')}</p>
          <label>
            {t('organisation')}
            <input
              name="orgId"
              value={orgId}
              required
              pattern="[A-Za-z0-9][A-Za-z0-9_\-]{0,63}"
              onInput={(e) => setOrgId(e.currentTarget.value)}
            />
          </label>
          <button type="submit" disabled={busy}>
            {t('signIn')}
          </button>
        </form>
      ) : (
        <form onSubmit={signInWithToken}>
          {auth.signInDomain && auth.userPoolClientId ? (
            <button
              type="button"
              onClick={() =>
                startCognitoSignIn(props.config).catch((e: unknown) =>
                  setError(t('failed', { error: e instanceof Error ? e.message : String(e) })),
                )
              }
            >
              {t('cognito')}
            </button>
          ) : null}
          <label>
            {t('token')}
            <textarea
              name="token"
              rows={4}
              required
              aria-describedby="token-help"
              value={token}
              onInput={(e) => setToken(e.currentTarget.value)}
            />
          </label>
          <p id="token-help" class="muted">
            {t('tokenHelp')}
          </p>
          <button type="submit">{t('signIn')}</button>
        </form>
      )}
      {error ? (
        <p role="alert" class="error">
          {error}
        </p>
      ) : null}
    </main>
  );
}
