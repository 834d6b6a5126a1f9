/**
 * The operations console: sign-in, the shell (navigation, language, organisation) and the views.
 * Swedish is the default language; the choice is kept in this browser.
 */
import { type ComponentChildren, render } from 'preact';
import { useEffect, useErrorBoundary, useLayoutEffect, useMemo, useState } from 'preact/hooks';
import {
  type Api,
  type ConsoleConfig,
  completeCognitoSignIn,
  createApi,
  loadConfig,
  type Session,
  storedSession,
  storeSession,
} from './api.ts';
import { ApiContext, hrefOf, LiveProvider, useLive, useRoute } from './app.tsx';
import {
  DEFAULT_LOCALE,
  defineMessages,
  isLocale,
  LOCALE_NAMES,
  LOCALES,
  type Locale,
  LocaleContext,
  useMessages,
} from './i18n.ts';
import { AlertsView } from './views/alerts.tsx';
import { BoardView } from './views/board.tsx';
import { EmailsView } from './views/emails.tsx';
import { FailuresView } from './views/failures.tsx';
import { FlowView } from './views/flow.tsx';
import { MetricsView } from './views/metrics.tsx';
import { SignIn } from './views/sign-in.tsx';
import { TraceView } from './views/trace.tsx';
import './styles.css';

const messages = defineMessages({
  en: {
    product: 'samskapa operations',
    navigation: 'Views',
    board: 'Board',
    flow: 'Live flow',
    alerts: 'Alerts',
    failures: 'Failures',
    metrics: 'Metrics',
    emails: 'Emails',
    trace: 'Trace',
    language: 'Language',
    organisation: 'Organisation {orgId}',
    signOut: 'Sign out',
    live: 'Live',
    connecting: 'Connecting…',
    retrying: 'Reconnecting…',
    skip: 'Skip to content',
    loadFailed: 'The console could not load its configuration: {error}',
    notFound: 'There is no view called {view}.',
    viewFailed: 'This view stopped with an error: {error}',
    retry: 'Try again',
  },
  sv: {
    product: 'samskapa drift',
    navigation: 'Vyer',
    board: 'Tavla',
    flow: 'Händelseflöde',
    alerts: 'Larm',
    failures: 'Fel',
    metrics: 'Mätvärden',
    emails: 'E-post',
    trace: 'Spårning',
    language: 'Språk',
    organisation: 'Organisation {orgId}',
    signOut: 'Logga ut',
    live: 'Live',
    connecting: 'Ansluter…',
    retrying: 'Återansluter…',
    skip: 'Hoppa till innehållet',
    loadFailed: 'Konsolen kunde inte läsa sin konfiguration: {error}',
    notFound: 'Det finns ingen vy som heter {view}.',
    viewFailed: 'Vyn stannade på ett fel: {error}',
    retry: 'Försök igen',
  },
  fi: {
    product: 'samskapa ylläpito',
    navigation: 'Näkymät',
    board: 'Taulu',
    flow: 'Tapahtumavirta',
    alerts: 'Hälytykset',
    failures: 'Virheet',
    metrics: 'Mittarit',
    emails: 'Sähköpostit',
    trace: 'Jäljitys',
    language: 'Kieli',
    organisation: 'Organisaatio {orgId}',
    signOut: 'Kirjaudu ulos',
    live: 'Live',
    connecting: 'Yhdistetään…',
    retrying: 'Yhdistetään uudelleen…',
    skip: 'Siirry sisältöön',
    loadFailed: 'Konsoli ei voinut lukea asetuksiaan: {error}',
    notFound: 'Näkymää {view} ei ole.',
    viewFailed: 'Näkymä pysähtyi virheeseen: {error}',
    retry: 'Yritä uudelleen',
  },
});

const LOCALE_KEY = 'samskapa.console.locale';

function initialLocale(): Locale {
  const stored = localStorage.getItem(LOCALE_KEY);
  return isLocale(stored) ? stored : DEFAULT_LOCALE;
}

function Console() {
  const [locale, setLocale] = useState<Locale>(initialLocale);
  const [config, setConfig] = useState<ConsoleConfig>();
  const [error, setError] = useState<string>();
  const [session, setSession] = useState<Session | undefined>(storedSession);
  useEffect(() => {
    loadConfig()
      .then(async (loaded) => {
        const returned = await completeCognitoSignIn(loaded);
        if (returned) signIn(returned);
        setConfig(loaded);
      })
      .catch((e: unknown) => setError(e instanceof Error ? e.message : String(e)));
  }, []);
  // Before the paint, so the page never shows one language while it says it is in another.
  useLayoutEffect(() => {
    document.documentElement.lang = locale;
    localStorage.setItem(LOCALE_KEY, locale);
  }, [locale]);
  const signIn = (next: Session | undefined) => {
    storeSession(next);
    setSession(next);
  };
  const api = useMemo(
    () => (config && session ? createApi(config, session, () => signIn(undefined)) : undefined),
    [config, session],
  );
  return (
    <LocaleContext.Provider value={locale}>
      {error ? (
        <LoadError error={error} />
      ) : !config ? null : api ? (
        <ApiContext.Provider value={api}>
          <LiveProvider api={api}>
            <Shell api={api} locale={locale} onLocale={setLocale} onSignOut={() => signIn(undefined)} />
          </LiveProvider>
        </ApiContext.Provider>
      ) : (
        <SignIn config={config} locale={locale} onLocale={setLocale} onSession={signIn} />
      )}
    </LocaleContext.Provider>
  );
}

function LoadError({ error }: { error: string }) {
  const t = useMessages(messages);
  return (
    <main class="page">
      <p role="alert" class="error">
        {t('loadFailed', { error })}
      </p>
    </main>
  );
}

const VIEWS = ['board', 'flow', 'alerts', 'failures', 'metrics', 'emails'] as const;

export function LanguagePicker({ locale, onLocale }: { locale: Locale; onLocale(locale: Locale): void }) {
  const t = useMessages(messages);
  return (
    <label class="language">
      <span>{t('language')}</span>
      <select
        value={locale}
        onChange={(event) => {
          const value = event.currentTarget.value;
          if (isLocale(value)) onLocale(value);
        }}
      >
        {LOCALES.map((code) => (
          <option key={code} value={code} lang={code}>
            {LOCALE_NAMES[code]}
          </option>
        ))}
      </select>
    </label>
  );
}

function Shell(props: { api: Api; locale: Locale; onLocale(locale: Locale): void; onSignOut(): void }) {
  const t = useMessages(messages);
  const route = useRoute();
  const live = useLive();
  const visible = VIEWS.filter((view) => view !== 'emails' || props.api.config.features.emails);
  useEffect(() => {
    const name =
      (VIEWS as readonly string[]).includes(route.view) || route.view === 'trace' ? route.view : '';
    document.title = name ? `${t(name as 'board')} · ${t('product')}` : t('product');
  }, [route.view, t]);
  return (
    <>
      <button type="button" class="skip" onClick={() => document.getElementById('main')?.focus()}>
        {t('skip')}
      </button>
      <header class="topbar">
        <span class="brand">{t('product')}</span>
        <span class="org">{t('organisation', { orgId: props.api.session.orgId })}</span>
        <span class={`live-status ${live.status}`} role="status" aria-live="polite">
          {t(live.status === 'live' ? 'live' : live.status)}
        </span>
        <LanguagePicker locale={props.locale} onLocale={props.onLocale} />
        <button type="button" class="secondary" onClick={props.onSignOut}>
          {t('signOut')}
        </button>
      </header>
      <nav class="views" aria-label={t('navigation')}>
        <ul>
          {visible.map((view) => (
            <li key={view}>
              <a href={hrefOf(view)} aria-current={route.view === view ? 'page' : undefined}>
                {t(view)}
              </a>
            </li>
          ))}
        </ul>
      </nav>
      <main id="main" tabIndex={-1} class="page">
        <ViewBoundary key={route.view}>
          <CurrentView view={route.view} />
        </ViewBoundary>
      </main>
    </>
  );
}

/** A view that throws shows its error and a retry; the shell and the other views go on. */
function ViewBoundary({ children }: { children: ComponentChildren }) {
  const t = useMessages(messages);
  const [error, reset] = useErrorBoundary();
  if (!error) return <>{children}</>;
  return (
    <div role="alert" class="card">
      <p class="error">
        {t('viewFailed', { error: error instanceof Error ? error.message : String(error) })}
      </p>
      <button type="button" onClick={reset}>
        {t('retry')}
      </button>
    </div>
  );
}

function CurrentView({ view }: { view: string }) {
  const t = useMessages(messages);
  switch (view) {
    case 'board':
      return <BoardView />;
    case 'flow':
      return <FlowView />;
    case 'trace':
      return <TraceView />;
    case 'alerts':
      return <AlertsView />;
    case 'failures':
      return <FailuresView />;
    case 'metrics':
      return <MetricsView />;
    case 'emails':
      return <EmailsView />;
    default:
      return <p role="alert">{t('notFound', { view })}</p>;
  }
}

const root = document.getElementById('app');
if (root) {
  root.replaceChildren();
  render(<Console />, root);
}
